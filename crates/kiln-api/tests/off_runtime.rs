//! A query's answer is encoded on the blocking pool, not on the async
//! runtime: with the only blocking thread held, a large Connect answer
//! stays pending while `/ready` is answered on the same single-threaded
//! runtime, and completes once the blocking thread is free. Nothing here
//! depends on timing: the runtime is polled a fixed number of times.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{router, Answer, ApiError, ApiState, QueryService};
use kiln_model::pb::google::v1::Profile;
use kiln_model::pb::querier::v1::{FlameGraph, Level};
use tower::ServiceExt;

use common::{ok, NoIngest};

/// Nodes of the flame graph the fake answers with.
const NODES: usize = 100_000;

/// Answers `SelectMergeStacktraces` with a flame graph of [`NODES`]
/// children of the root; every other method is refused.
struct Huge;

fn huge_flame_graph() -> FlameGraph {
    let names = std::iter::once("total".to_owned()).chain((0..NODES).map(|i| format!("f{i}"))).collect();
    let children = (0..NODES).flat_map(|i| [0, 1, 1, i as i64 + 1]).collect();
    let levels = vec![Level { values: vec![0, NODES as i64, 0, 0] }, Level { values: children }];
    FlameGraph { names, levels, total: NODES as i64, max_self: 1 }
}

fn refused<'a, T: Send + 'a>() -> Answer<'a, T> {
    Box::pin(async { Err(ApiError::invalid("method", "not served by this fake")) })
}

impl QueryService for Huge {
    fn profile_types<'a>(&'a self, _: &'a str, _: q::ProfileTypesRequest) -> Answer<'a, q::ProfileTypesResponse> {
        refused()
    }
    fn label_names<'a>(&'a self, _: &'a str, _: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse> {
        refused()
    }
    fn label_values<'a>(&'a self, _: &'a str, _: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse> {
        refused()
    }
    fn series<'a>(&'a self, _: &'a str, _: q::SeriesRequest) -> Answer<'a, q::SeriesResponse> {
        refused()
    }
    fn select_merge_stacktraces<'a>(
        &'a self,
        _: &'a str,
        _: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse> {
        ok(q::SelectMergeStacktracesResponse { flamegraph: Some(huge_flame_graph()), ..Default::default() })
    }
    fn select_merge_span_profile<'a>(
        &'a self,
        _: &'a str,
        _: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse> {
        refused()
    }
    fn select_merge_profile<'a>(&'a self, _: &'a str, _: q::SelectMergeProfileRequest) -> Answer<'a, Profile> {
        refused()
    }
    fn select_series<'a>(&'a self, _: &'a str, _: q::SelectSeriesRequest) -> Answer<'a, q::SelectSeriesResponse> {
        refused()
    }
    fn select_heatmap<'a>(&'a self, _: &'a str, _: q::SelectHeatmapRequest) -> Answer<'a, q::SelectHeatmapResponse> {
        refused()
    }
    fn diff<'a>(&'a self, _: &'a str, _: q::DiffRequest) -> Answer<'a, q::DiffResponse> {
        refused()
    }
    fn get_profile_stats<'a>(
        &'a self,
        _: &'a str,
        _: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse> {
        refused()
    }
    fn analyze_query<'a>(&'a self, _: &'a str, _: q::AnalyzeQueryRequest) -> Answer<'a, q::AnalyzeQueryResponse> {
        refused()
    }
}

async fn merged_flame_graph(app: axum::Router) -> (StatusCode, serde_json::Value) {
    let body =
        r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","labelSelector":"{}","start":"0","end":"1"}"#;
    let req = Request::post("/querier.v1.QuerierService/SelectMergeStacktraces")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn ready_answers_while_a_large_query_answer_is_encoded() {
    let runtime = tokio::runtime::Builder::new_current_thread().max_blocking_threads(1).enable_all().build().unwrap();
    runtime.block_on(async {
        let mut state = ApiState::new(Arc::new(NoIngest));
        state.query = Some(Arc::new(Huge));
        let app = router(state);
        // The one blocking thread is held until `/ready` has answered.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = tokio::task::spawn_blocking(move || held.recv());
        let query = tokio::spawn(merged_flame_graph(app.clone()));
        for _ in 0..1_000 {
            tokio::task::yield_now().await;
        }
        assert!(!query.is_finished(), "the answer was encoded without the blocking pool");
        let ready = app.oneshot(Request::get("/ready").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        release.send(()).unwrap();
        let (status, json) = query.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["flamegraph"]["names"].as_array().map(Vec::len), Some(NODES + 1));
        holder.await.unwrap().unwrap();
    });
}
