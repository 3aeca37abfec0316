//! Every querier request field Kiln does not serve is refused with
//! `invalid_argument` naming the field, never silently ignored: one test
//! per refusal.

mod querier_data;

use querier_data::{app, call, store, CPU, T0};
use serde_json::{json, Value};

/// Calls `method` with `base` extended by `extra`; asserts a Connect
/// `invalid_argument` whose message names `field`.
async fn refused(method: &str, base: Value, extra: Value, field: &str) {
    let app = app(store().await);
    let mut req = base;
    req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, resp) = call(&app, method, req).await;
    assert_eq!(status, 400, "{method}: {resp}");
    assert_eq!(resp["code"], "invalid_argument", "{resp}");
    let message = resp["message"].as_str().unwrap();
    assert!(message.contains(field), "{method}: {message:?} names {field}");
}

fn merge() -> Value {
    json!({"profileTypeID": CPU, "labelSelector": "{}", "start": T0.to_string(), "end": (T0 + 30_000).to_string()})
}

fn series() -> Value {
    let mut r = merge();
    r["step"] = json!(15);
    r
}

fn heatmap() -> Value {
    let mut r = series();
    r["queryType"] = json!("HEATMAP_QUERY_TYPE_INDIVIDUAL");
    r
}

#[tokio::test]
async fn merge_stacktraces_refuses_async() {
    refused("SelectMergeStacktraces", merge(), json!({"async": {"type": "ASYNC_QUERY_TYPE_FORCE"}}), "async").await;
}

#[tokio::test]
async fn merge_stacktraces_refuses_span_and_trace_selectors_together() {
    let both = json!({"spanSelector": ["00000000000000a1"], "traceIdSelector": [querier_data::T1]});
    refused("SelectMergeStacktraces", merge(), both, "span_selector and trace_id_selector").await;
}

#[tokio::test]
async fn merge_stacktraces_refuses_a_span_id_of_the_wrong_length() {
    refused("SelectMergeStacktraces", merge(), json!({"spanSelector": ["00a1"]}), "span_selector").await;
}

#[tokio::test]
async fn merge_stacktraces_refuses_a_trace_id_that_is_not_hex() {
    let bad = "zz000000000000000000000000000001";
    refused("SelectMergeStacktraces", merge(), json!({"traceIdSelector": [bad]}), "trace_id_selector").await;
}

#[tokio::test]
async fn merge_stacktraces_refuses_profile_ids_with_a_span_selector() {
    let extra =
        json!({"spanSelector": ["00000000000000a1"], "profileIdSelector": ["11110000-0000-4000-8000-000000000001"]});
    refused("SelectMergeStacktraces", merge(), extra, "profile_id_selector").await;
}

#[tokio::test]
async fn merge_stacktraces_refuses_go_pgo() {
    let extra = json!({"stackTraceSelector": {"goPgo": {"keepLocations": 2}}});
    refused("SelectMergeStacktraces", merge(), extra, "go_pgo").await;
}

#[tokio::test]
async fn diff_refuses_a_side_asking_for_another_format() {
    let mut right = merge();
    right["format"] = json!("PROFILE_FORMAT_TREE");
    refused("Diff", json!({"left": merge()}), json!({"right": right}), "right.format").await;
}

#[tokio::test]
async fn diff_refuses_async_on_a_side() {
    let mut left = merge();
    left["async"] = json!({"requestId": "x"});
    refused("Diff", json!({"right": merge()}), json!({"left": left}), "left.async").await;
}

#[tokio::test]
async fn span_profile_refuses_formats_it_does_not_answer() {
    let extra = json!({"spanSelector": ["00000000000000a1"], "format": "PROFILE_FORMAT_PPROF"});
    refused("SelectMergeSpanProfile", merge(), extra, "format").await;
}

#[tokio::test]
async fn merge_profile_refuses_a_malformed_trace_id() {
    refused("SelectMergeProfile", merge(), json!({"traceIdSelector": ["abc"]}), "trace_id_selector").await;
}

#[tokio::test]
async fn select_series_refuses_an_unknown_exemplar_type() {
    refused("SelectSeries", series(), json!({"exemplarType": 9}), "exemplar_type").await;
}

#[tokio::test]
async fn select_series_refuses_span_exemplars_with_a_call_site() {
    let extra = json!({"exemplarType": "EXEMPLAR_TYPE_SPAN", "stackTraceSelector": {"callSite": [{"name": "main"}]}});
    refused("SelectSeries", series(), extra, "stack_trace_selector").await;
}

#[tokio::test]
async fn heatmap_refuses_an_unspecified_query_type() {
    refused("SelectHeatmap", heatmap(), json!({"queryType": 0}), "query_type").await;
}

#[tokio::test]
async fn heatmap_refuses_exemplars_of_the_other_kind() {
    refused("SelectHeatmap", heatmap(), json!({"exemplarType": "EXEMPLAR_TYPE_SPAN"}), "exemplar_type").await;
}

#[tokio::test]
async fn heatmap_refuses_a_step_under_a_millisecond() {
    refused("SelectHeatmap", heatmap(), json!({"step": 0}), "step").await;
}

#[tokio::test]
async fn heatmap_refuses_a_negative_limit() {
    refused("SelectHeatmap", heatmap(), json!({"limit": "-1"}), "limit").await;
}

#[tokio::test]
async fn heatmap_refuses_an_empty_range() {
    refused("SelectHeatmap", heatmap(), json!({"end": T0.to_string()}), "start must be before end").await;
}
