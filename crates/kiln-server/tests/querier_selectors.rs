//! `span_selector` and `trace_id_selector` on `SelectMergeStacktraces`,
//! `Diff` and `SelectMergeProfile` against a real store: only the samples
//! of those spans or traces are merged, as the reference computed here
//! from the ingested samples says.

mod querier_data;

use std::collections::BTreeMap;

use kiln_api::pb::querier::v1 as q;
use querier_data::{app, call, call_proto, folded, golden, store, CPU, SHOP, T0, T1, T3};
use serde_json::json;

/// The folded stacks of the `shop` samples whose span or trace is wanted.
fn reference(keep: impl Fn(&str, &str) -> bool) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for (stack, value, span, trace) in SHOP.iter().flat_map(|s| s.samples) {
        if keep(span, trace) {
            *out.entry(stack.to_string()).or_default() += value;
        }
    }
    out
}

fn merge(spans: &[&str], traces: &[&str]) -> q::SelectMergeStacktracesRequest {
    q::SelectMergeStacktracesRequest {
        profile_type_id: CPU.into(),
        label_selector: "{}".into(),
        start: T0,
        end: T0 + 30_000,
        span_selector: spans.iter().map(|s| s.to_string()).collect(),
        trace_id_selector: traces.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

async fn stacks(app: &axum::Router, req: &q::SelectMergeStacktracesRequest) -> BTreeMap<String, i64> {
    let resp: q::SelectMergeStacktracesResponse = call_proto(app, "SelectMergeStacktraces", req).await.unwrap();
    folded(&resp.flamegraph.unwrap())
}

#[tokio::test]
async fn span_selector_merges_only_the_samples_of_those_spans() {
    let app = app(store().await);
    let spans = ["00000000000000b2", "00000000000000c3"];
    let expected = reference(|span, _| spans.contains(&span));
    assert_eq!(expected, [("main;work;parse".to_string(), 270)].into());
    assert_eq!(stacks(&app, &merge(&spans, &[])).await, expected);
}

#[tokio::test]
async fn trace_id_selector_merges_only_the_samples_of_those_traces_in_any_case() {
    let app = app(store().await);
    let expected = reference(|_, trace| trace == T1);
    assert_eq!(expected, [("main;work;parse".to_string(), 30), ("main;work;render".to_string(), 60)].into());
    assert_eq!(stacks(&app, &merge(&[], &[&T1.to_ascii_uppercase()])).await, expected);
    let (status, resp) = call(
        &app,
        "SelectMergeStacktraces",
        json!({"profileTypeID": CPU, "labelSelector": "{}", "start": T0.to_string(),
               "end": (T0 + 30_000).to_string(), "traceIdSelector": [T1]}),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    golden("SelectMergeStacktraces_trace_id_selector", &resp);
}

#[tokio::test]
async fn diff_sides_take_their_own_span_and_trace_selectors() {
    let app = app(store().await);
    let diff = q::DiffRequest { left: Some(merge(&["00000000000000a1"], &[])), right: Some(merge(&[], &[T3])) };
    let fg = call_proto::<q::DiffResponse>(&app, "Diff", &diff).await.unwrap().flamegraph.unwrap();
    let total = |m: BTreeMap<String, i64>| m.values().sum::<i64>();
    let left = total(reference(|span, _| span == "00000000000000a1"));
    let right = total(reference(|_, trace| trace == T3));
    assert_eq!((fg.left_ticks, fg.right_ticks), (left, right));
    assert_eq!((left, right), (90, 200));
}

#[tokio::test]
async fn select_merge_profile_keeps_only_the_samples_of_the_traces() {
    let app = app(store().await);
    let req = q::SelectMergeProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"shop\"}".into(),
        start: T0,
        end: T0 + 30_000,
        trace_id_selector: vec![T3.into()],
        ..Default::default()
    };
    let pprof: kiln_model::pb::google::v1::Profile = call_proto(&app, "SelectMergeProfile", &req).await.unwrap();
    let total: i64 = pprof.sample.iter().map(|s| s.value[0]).sum();
    assert_eq!(total, reference(|_, trace| trace == T3).values().sum::<i64>());
}
