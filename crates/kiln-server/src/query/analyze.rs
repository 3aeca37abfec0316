//! `AnalyzeQuery`: `kiln-query`'s counts as query scopes.

use kiln_api::pb::querier::v1 as q;

use super::{Result, StoreQuery};
use crate::error::api_error;

impl StoreQuery {
    /// What a legacy query string touches, in `kiln-query`'s counts.
    pub(super) async fn analyze(&self, tenant: &str, r: q::AnalyzeQueryRequest) -> Result<q::AnalyzeQueryResponse> {
        let s = kiln_query::analyze_query(&self.0, tenant, &r.query, self.1.range(r.start, r.end)?)
            .await
            .map_err(api_error)?;
        let scope = q::QueryScope {
            component_type: "Kiln store".into(),
            component_count: 1,
            block_count: s.objects,
            series_count: s.series,
            profile_count: s.profiles,
            profile_bytes: s.bytes,
            ..Default::default()
        };
        let impact = q::QueryImpact {
            total_bytes_in_time_range: s.bytes,
            total_queried_series: s.series,
            deduplication_needed: false,
        };
        Ok(q::AnalyzeQueryResponse { query_scopes: vec![scope], query_impact: Some(impact) })
    }
}
