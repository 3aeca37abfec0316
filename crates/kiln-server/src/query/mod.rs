//! The storage engine and `kiln-query` as the API's querier service: wire
//! messages in, `kiln-query` calls, wire messages out: nothing here but
//! field mapping (query errors map to API errors in `error.rs`). One file
//! per family of methods: `merge.rs` (merges and diff), `series.rs`,
//! `heatmap.rs`, `analyze.rs`, the metadata methods here, and the
//! request fields Kiln refuses or maps specially in `fields.rs`.

use futures::future::BoxFuture;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{Answer, ApiError, QueryService};
use kiln_model::pb::google::v1::Profile as PprofMessage;
use kiln_query::TimeRangeMs;
use kiln_store::{Labels, Store};

use crate::error::api_error;

pub use limits::QueryLimits;

mod analyze;
mod fields;
mod heatmap;
mod limits;
mod merge;
mod series;

/// Answers `querier.v1.QuerierService` from a store, within the limits.
pub struct StoreQuery(pub Store, pub QueryLimits);

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid("query", message)
}

/// The range of a metadata request: both bounds unset means all time.
fn metadata_range(start: i64, end: i64) -> Result<TimeRangeMs> {
    if start == 0 && end == 0 {
        return Ok(TimeRangeMs::all());
    }
    TimeRangeMs::new(start, end).map_err(api_error)
}

pub(crate) fn pairs(labels: Labels) -> Vec<t::LabelPair> {
    labels.into_iter().map(|(name, value)| t::LabelPair { name, value }).collect()
}

/// `call_site` names, root first; a Go PGO selector is refused.
fn call_site_names(selector: Option<&t::StackTraceSelector>) -> Result<Option<Vec<String>>> {
    let Some(s) = selector else { return Ok(None) };
    if s.go_pgo.is_some() {
        return Err(invalid("stack_trace_selector.go_pgo is not supported by Kiln; use call_site"));
    }
    Ok(Some(s.call_site.iter().map(|l| l.name.clone()).collect()))
}

fn boxed<'a, T: Send + 'a>(f: impl std::future::Future<Output = Result<T>> + Send + 'a) -> BoxFuture<'a, Result<T>> {
    Box::pin(f)
}

impl QueryService for StoreQuery {
    fn profile_types<'a>(&'a self, tenant: &'a str, r: q::ProfileTypesRequest) -> Answer<'a, q::ProfileTypesResponse> {
        boxed(async move {
            let types =
                kiln_query::profile_types(&self.0, tenant, metadata_range(r.start, r.end)?).await.map_err(api_error)?;
            let profile_types = types
                .into_iter()
                .map(|p| t::ProfileType {
                    id: p.id(),
                    name: p.name,
                    sample_type: p.sample_type,
                    sample_unit: p.sample_unit,
                    period_type: p.period_type,
                    period_unit: p.period_unit,
                })
                .collect();
            Ok(q::ProfileTypesResponse { profile_types })
        })
    }

    fn label_names<'a>(&'a self, tenant: &'a str, r: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let names = kiln_query::label_names(&self.0, tenant, &r.matchers, window).await.map_err(api_error)?;
            Ok(t::LabelNamesResponse { names })
        })
    }

    fn label_values<'a>(&'a self, tenant: &'a str, r: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let names =
                kiln_query::label_values(&self.0, tenant, &r.name, &r.matchers, window).await.map_err(api_error)?;
            Ok(t::LabelValuesResponse { names })
        })
    }

    fn series<'a>(&'a self, tenant: &'a str, r: q::SeriesRequest) -> Answer<'a, q::SeriesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let sets =
                kiln_query::series(&self.0, tenant, &r.matchers, &r.label_names, window).await.map_err(api_error)?;
            Ok(q::SeriesResponse { labels_set: sets.into_iter().map(|l| t::Labels { labels: pairs(l) }).collect() })
        })
    }

    fn select_merge_stacktraces<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse> {
        boxed(self.merge_stacktraces(tenant, r))
    }

    fn select_merge_span_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse> {
        boxed(self.merge_span_profile(tenant, r))
    }

    fn select_merge_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeProfileRequest,
    ) -> Answer<'a, PprofMessage> {
        boxed(self.merge_profile(tenant, r))
    }

    fn select_series<'a>(&'a self, tenant: &'a str, r: q::SelectSeriesRequest) -> Answer<'a, q::SelectSeriesResponse> {
        boxed(self.select_series(tenant, r))
    }

    fn select_heatmap<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectHeatmapRequest,
    ) -> Answer<'a, q::SelectHeatmapResponse> {
        boxed(heatmap::select_heatmap(&self.0, &self.1, tenant, r))
    }

    fn diff<'a>(&'a self, tenant: &'a str, r: q::DiffRequest) -> Answer<'a, q::DiffResponse> {
        boxed(self.diff(tenant, r))
    }

    fn get_profile_stats<'a>(
        &'a self,
        tenant: &'a str,
        _r: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse> {
        boxed(async move {
            let s = kiln_query::profile_stats(&self.0, tenant).await.map_err(api_error)?;
            Ok(t::GetProfileStatsResponse {
                data_ingested: s.data_ingested,
                oldest_profile_time: s.oldest_profile_time,
                newest_profile_time: s.newest_profile_time,
            })
        })
    }

    fn analyze_query<'a>(&'a self, tenant: &'a str, r: q::AnalyzeQueryRequest) -> Answer<'a, q::AnalyzeQueryResponse> {
        boxed(self.analyze(tenant, r))
    }
}
