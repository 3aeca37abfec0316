//! What the request-body fuzz targets share: Kiln's real router over a
//! sink that accepts everything and a query service that answers every
//! method with an empty response, driven on one current-thread runtime.
//! A body, however hostile, must be answered with a success or a 4xx: a
//! 5xx or a panic is a finding.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{router, Answer, ApiState, IngestSink, Ingested, QueryService, SinkError};
use kiln_model::pb::google::v1::Profile;
use tower::ServiceExt;

pub mod alloc;

/// The largest body the fuzzed router reads.
pub const BODY_LIMIT: usize = 4 << 20;

struct Discard;

impl IngestSink for Discard {
    fn ingest<'a>(&'a self, _: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Answers every querier method with its empty response.
struct Empty;

macro_rules! empty {
    ($($method:ident($req:ty) -> $resp:ty;)*) => {
        impl QueryService for Empty {
            $(fn $method<'a>(&'a self, _: &'a str, _: $req) -> Answer<'a, $resp> {
                Box::pin(async { Ok(<$resp>::default()) })
            })*
        }
    };
}

empty! {
    profile_types(q::ProfileTypesRequest) -> q::ProfileTypesResponse;
    label_names(t::LabelNamesRequest) -> t::LabelNamesResponse;
    label_values(t::LabelValuesRequest) -> t::LabelValuesResponse;
    series(q::SeriesRequest) -> q::SeriesResponse;
    select_merge_stacktraces(q::SelectMergeStacktracesRequest) -> q::SelectMergeStacktracesResponse;
    select_merge_span_profile(q::SelectMergeSpanProfileRequest) -> q::SelectMergeSpanProfileResponse;
    select_merge_profile(q::SelectMergeProfileRequest) -> Profile;
    select_series(q::SelectSeriesRequest) -> q::SelectSeriesResponse;
    select_heatmap(q::SelectHeatmapRequest) -> q::SelectHeatmapResponse;
    diff(q::DiffRequest) -> q::DiffResponse;
    get_profile_stats(t::GetProfileStatsRequest) -> t::GetProfileStatsResponse;
    analyze_query(q::AnalyzeQueryRequest) -> q::AnalyzeQueryResponse;
}

struct Api {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let mut state = ApiState::new(Arc::new(Discard));
        state.query = Some(Arc::new(Empty));
        state.body_limit = BODY_LIMIT;
        state.limits.reject_older_than_nanos = 0;
        state.limits.reject_newer_than_nanos = 0;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Api { runtime, app: router(state) }
    })
}

/// POSTs `body` to `path_and_query` with `headers`; panics on a 5xx,
/// naming the status and the answer.
pub fn post(path_and_query: &str, headers: &[(&str, &str)], body: &[u8]) -> StatusCode {
    let api = api();
    let mut req = Request::post(path_and_query);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(Body::from(body.to_vec())).expect("request");
    let (status, answer) = api.runtime.block_on(async {
        let resp = api.app.clone().oneshot(req).await.expect("the router is infallible");
        let status = resp.status();
        (status, resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default())
    });
    assert!(!status.is_server_error(), "{path_and_query}: {status}: {}", String::from_utf8_lossy(&answer));
    status
}
