//! `SelectSeries`: wire fields mapped to `kiln-query`'s series, with
//! exemplars or a call site when asked.

use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_query::{Aggregation, ExemplarKind, SeriesRequest};

use super::{call_site_names, fields, invalid, pairs, Result, StoreQuery};
use crate::error::api_error;

impl StoreQuery {
    pub(super) async fn select_series(
        &self,
        tenant: &str,
        r: q::SelectSeriesRequest,
    ) -> Result<q::SelectSeriesResponse> {
        let site = call_site_names(r.stack_trace_selector.as_ref())?.filter(|s| !s.is_empty());
        let exemplars = fields::exemplar_kind(r.exemplar_type)?;
        let aggregation = match r.aggregation.unwrap_or(0) {
            0 => Aggregation::Sum,
            1 => Aggregation::Average,
            n => return Err(invalid(format!("unknown aggregation {n}"))),
        };
        let limit = match r.limit {
            Some(n) if n < 0 => return Err(invalid(format!("limit must not be negative, got {n}"))),
            n => n.map(|n| n as usize),
        };
        let req = SeriesRequest {
            profile_type_id: r.profile_type_id,
            label_selector: r.label_selector,
            range: self.1.range(r.start, r.end)?,
            step_seconds: r.step,
            group_by: r.group_by,
            aggregation,
            limit,
        };
        if site.is_some() || exemplars != ExemplarKind::None {
            let series = kiln_query::select_series_exemplars(&self.0, tenant, &req, exemplars, site.as_deref())
                .await
                .map_err(api_error)?;
            return Ok(q::SelectSeriesResponse { series: series.into_iter().map(fields::exemplar_series).collect() });
        }
        let series = kiln_query::select_series(&self.0, tenant, &req).await.map_err(api_error)?;
        let series = series
            .into_iter()
            .map(|s| t::Series {
                labels: pairs(s.labels),
                points: s
                    .points
                    .into_iter()
                    .map(|(timestamp, value)| t::Point { value, timestamp, ..Default::default() })
                    .collect(),
            })
            .collect();
        Ok(q::SelectSeriesResponse { series })
    }
}
