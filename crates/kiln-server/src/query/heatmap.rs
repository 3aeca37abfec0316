//! `SelectHeatmap`: wire request in, `kiln_query::select_heatmap`, wire
//! response out.

use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::ApiError;
use kiln_query::{HeatmapQueryType, HeatmapRequest, HeatmapSeries};
use kiln_store::Store;

use super::fields::{exemplar, exemplar_kind};
use super::{invalid, pairs, QueryLimits};
use crate::error::api_error;

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) async fn select_heatmap(
    store: &Store,
    limits: &QueryLimits,
    tenant: &str,
    r: q::SelectHeatmapRequest,
) -> Result<q::SelectHeatmapResponse> {
    let query_type = match q::HeatmapQueryType::try_from(r.query_type) {
        Ok(q::HeatmapQueryType::Individual) => HeatmapQueryType::Individual,
        Ok(q::HeatmapQueryType::Span) => HeatmapQueryType::Span,
        _ => return Err(invalid(format!("query_type {}: a valid heatmap query type must be specified", r.query_type))),
    };
    let limit = match r.limit {
        Some(n) if n < 0 => return Err(invalid(format!("limit must not be negative, got {n}"))),
        n => n.map(|n| n as usize),
    };
    let req = HeatmapRequest {
        profile_type_id: r.profile_type_id,
        label_selector: r.label_selector,
        range: limits.range(r.start, r.end)?,
        step_seconds: r.step,
        group_by: r.group_by,
        query_type,
        exemplars: exemplar_kind(r.exemplar_type)?,
        limit,
    };
    let series = kiln_query::select_heatmap(store, tenant, &req).await.map_err(api_error)?;
    Ok(q::SelectHeatmapResponse { series: series.into_iter().map(heatmap_series).collect() })
}

fn heatmap_series(s: HeatmapSeries) -> t::HeatmapSeries {
    let slots = s
        .slots
        .into_iter()
        .map(|slot| t::HeatmapSlot {
            timestamp: slot.timestamp,
            y_min: slot.y_min,
            counts: slot.counts,
            exemplars: slot.exemplars.into_iter().map(exemplar).collect(),
        })
        .collect();
    t::HeatmapSeries { labels: pairs(s.labels), slots }
}
