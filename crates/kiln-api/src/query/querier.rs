//! The service the querier API reads from: a trait over the wire messages
//! of `querier.v1.QuerierService`, so the protocol layer is tested without
//! a store and `kiln-server` plugs the query engine in.

use futures::future::BoxFuture;
use kiln_model::pb::google::v1::Profile;

use crate::error::ApiError;
use crate::pb::querier::v1 as q;
use crate::pb::types::v1 as t;

/// What a query method answers, later.
pub type Answer<'a, T> = BoxFuture<'a, Result<T, ApiError>>;

/// `querier.v1.QuerierService`, one method per RPC, for one tenant at a
/// time. Requests arrive decoded whatever the protocol (Connect proto or
/// JSON, gRPC); errors are [`ApiError`]s (`InvalidArgument` for bad
/// selectors, profile types and ranges).
pub trait QueryService: Send + Sync {
    fn profile_types<'a>(&'a self, tenant: &'a str, req: q::ProfileTypesRequest)
        -> Answer<'a, q::ProfileTypesResponse>;
    fn label_names<'a>(&'a self, tenant: &'a str, req: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse>;
    fn label_values<'a>(&'a self, tenant: &'a str, req: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse>;
    fn series<'a>(&'a self, tenant: &'a str, req: q::SeriesRequest) -> Answer<'a, q::SeriesResponse>;
    fn select_merge_stacktraces<'a>(
        &'a self,
        tenant: &'a str,
        req: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse>;
    fn select_merge_span_profile<'a>(
        &'a self,
        tenant: &'a str,
        req: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse>;
    fn select_merge_profile<'a>(&'a self, tenant: &'a str, req: q::SelectMergeProfileRequest) -> Answer<'a, Profile>;
    fn select_series<'a>(&'a self, tenant: &'a str, req: q::SelectSeriesRequest)
        -> Answer<'a, q::SelectSeriesResponse>;
    fn select_heatmap<'a>(
        &'a self,
        tenant: &'a str,
        req: q::SelectHeatmapRequest,
    ) -> Answer<'a, q::SelectHeatmapResponse>;
    fn diff<'a>(&'a self, tenant: &'a str, req: q::DiffRequest) -> Answer<'a, q::DiffResponse>;
    fn get_profile_stats<'a>(
        &'a self,
        tenant: &'a str,
        req: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse>;
    fn analyze_query<'a>(&'a self, tenant: &'a str, req: q::AnalyzeQueryRequest)
        -> Answer<'a, q::AnalyzeQueryResponse>;
}
