//! `SelectSeries` with exemplars and with a call site, against a real
//! store: every number checked against a reference computed here from the
//! profiles ingested, and the JSON answers pinned as golden files.

mod querier_data;

use kiln_api::pb::querier::v1 as q;
use querier_data::{app, call, call_proto, go_profile, golden, store, CPU, GO_AT, SHOP, T0};
use serde_json::{json, Value};

fn series_request(selector: &str, extra: Value) -> Value {
    let mut req = json!({
        "profileTypeID": CPU, "labelSelector": selector,
        "start": T0.to_string(), "end": (T0 + 30_000).to_string(), "step": 15,
    });
    req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    req
}

/// `(timestamp, value)` of each point of the only series.
fn points(resp: &Value) -> Vec<(i64, f64)> {
    let series = resp["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{resp}");
    let ts = |p: &Value| p["timestamp"].as_str().unwrap().parse::<i64>().unwrap();
    series[0]["points"].as_array().unwrap().iter().map(|p| (ts(p), p["value"].as_f64().unwrap())).collect()
}

/// The exemplars' `(profileId, value)` of each point of the series `i`.
fn exemplars(resp: &Value, i: usize) -> Vec<Vec<(String, String)>> {
    let pts = resp["series"][i]["points"].as_array().unwrap();
    let pick = |e: &Value| (e["profileId"].as_str().unwrap_or("").to_owned(), e["value"].as_str().unwrap().to_owned());
    pts.iter().map(|p| p["exemplars"].as_array().unwrap().iter().map(pick).collect()).collect()
}

#[tokio::test]
async fn individual_exemplars_are_each_points_largest_profile_and_open_by_id() {
    let app = app(store().await);
    let req = series_request("{service_name=\"shop\"}", json!({"exemplarType": "EXEMPLAR_TYPE_INDIVIDUAL"}));
    let (status, resp) = call(&app, "SelectSeries", req).await;
    assert_eq!(status, 200, "{resp}");
    // (T0, T0+15s]: profiles 0 and 1; (T0+15s, T0+30s]: profiles 2 and 3.
    let sum = |i: usize, j: usize| (SHOP[i].total() + SHOP[j].total()) as f64;
    assert_eq!(points(&resp), vec![(T0 + 15_000, sum(0, 1)), (T0 + 30_000, sum(2, 3))]);
    let want = |i: usize| vec![(SHOP[i].uuid(), SHOP[i].total().to_string())];
    assert_eq!(exemplars(&resp, 0), vec![want(0), want(3)], "the larger profile of each step");
    let first = &resp["series"][0]["points"][0]["exemplars"][0];
    assert_eq!(first["timestamp"], (SHOP[0].at).to_string());
    assert!(first["labels"].as_array().unwrap().iter().any(|l| l["name"] == "pod" && l["value"] == "a"));
    golden("SelectSeries_exemplars", &resp);

    let by_pod = series_request("{service_name=\"shop\"}", json!({"exemplarType": 2, "groupBy": ["pod"]}));
    let (_, resp) = call(&app, "SelectSeries", by_pod).await;
    assert_eq!(exemplars(&resp, 0), vec![want(0), want(2)], "pod a");
    assert_eq!(exemplars(&resp, 1), vec![want(1), want(3)], "pod b");
    let labels = resp["series"][1]["points"][0]["exemplars"][0]["labels"].as_array().unwrap().clone();
    assert!(!labels.iter().any(|l| l["name"] == "pod"), "group_by labels are the series', not the exemplar's");
    golden("SelectSeries_exemplars_by_pod", &resp);

    // The exemplar's id opens that profile alone.
    let id = resp["series"][1]["points"][1]["exemplars"][0]["profileId"].as_str().unwrap().to_owned();
    let merge = q::SelectMergeStacktracesRequest {
        profile_type_id: CPU.into(),
        label_selector: "{}".into(),
        start: T0,
        end: T0 + 30_000,
        profile_id_selector: vec![id],
        ..Default::default()
    };
    let fg: q::SelectMergeStacktracesResponse = call_proto(&app, "SelectMergeStacktraces", &merge).await.unwrap();
    let stacks = querier_data::folded(&fg.flamegraph.unwrap());
    assert_eq!(stacks, [("main;work;parse".to_string(), 200)].into(), "profile 3's only stack");
}

#[tokio::test]
async fn span_exemplars_are_each_points_largest_span() {
    let app = app(store().await);
    let req = series_request("{service_name=\"shop\"}", json!({"exemplarType": "EXEMPLAR_TYPE_SPAN"}));
    let (status, resp) = call(&app, "SelectSeries", req).await;
    assert_eq!(status, 200, "{resp}");
    // Step 1: span a1 sums 30 + 20 = 50 in profile 0, b2 is 70 in profile 1.
    // Step 2: a1 is 40 in profile 2, c3 is 200 in profile 3.
    let span = |p: usize| {
        let e = &resp["series"][0]["points"][p]["exemplars"][0];
        (e["spanId"].as_str().unwrap().to_owned(), e["traceId"].as_str().unwrap().to_owned(), e["value"].clone())
    };
    assert_eq!(span(0), ("00000000000000b2".into(), querier_data::T2.into(), json!("70")));
    assert_eq!(span(1), ("00000000000000c3".into(), querier_data::T3.into(), json!("200")));
    assert_eq!(resp["series"][0]["points"][0]["exemplars"][0].get("profileId"), None, "a span has no profile id");
    golden("SelectSeries_span_exemplars", &resp);
}

/// The sum of the Go fixture's CPU samples whose stack starts with `site`.
fn go_under(site: &[String]) -> i64 {
    let p = go_profile();
    let cpu = p.sample_types.iter().position(|t| p.str(t.ty) == "cpu").unwrap();
    let mut total = 0;
    for s in &p.samples {
        let mut frames = Vec::new();
        p.for_each_frame_root_first(s, |f| frames.push(f.to_owned()));
        if frames.starts_with(site) {
            total += s.values[cpu];
        }
    }
    total
}

/// The shortest root-most frames of the Go fixture's largest sample that
/// hold only part of the profile.
fn go_site() -> Vec<String> {
    let p = go_profile();
    let cpu = p.sample_types.iter().position(|t| p.str(t.ty) == "cpu").unwrap();
    let top = p.samples.iter().max_by_key(|s| s.values[cpu]).unwrap();
    let mut frames = Vec::new();
    p.for_each_frame_root_first(top, |f| frames.push(f.to_owned()));
    let all = go_under(&[]);
    (1..=frames.len()).map(|n| frames[..n].to_vec()).find(|site| go_under(site) < all).unwrap()
}

fn call_site(names: &[String]) -> Value {
    json!({"stackTraceSelector": {"callSite": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}})
}

#[tokio::test]
async fn a_call_site_on_select_series_sums_only_the_samples_under_it() {
    let app = app(store().await);
    let site = |s: &str| s.split(';').map(String::from).collect::<Vec<_>>();
    let (_, resp) =
        call(&app, "SelectSeries", series_request("{service_name=\"shop\"}", call_site(&site("main;work")))).await;
    // Under main;work: 50 + 70 in step 1, 40 + 200 in step 2.
    assert_eq!(points(&resp), vec![(T0 + 15_000, 120.0), (T0 + 30_000, 240.0)]);
    golden("SelectSeries_call_site", &resp);
    let deeper = series_request("{service_name=\"shop\"}", call_site(&site("main;work;parse")));
    let (_, resp) = call(&app, "SelectSeries", deeper).await;
    assert_eq!(points(&resp), vec![(T0 + 15_000, 100.0), (T0 + 30_000, 200.0)], "profile 2 has no parse");

    let go = go_site();
    let expected = go_under(&go);
    assert!(expected > 0 && expected < go_under(&[]), "the site holds part of the profile");
    let (_, resp) = call(&app, "SelectSeries", series_request("{service_name=\"checkout\"}", call_site(&go))).await;
    assert_eq!(points(&resp), vec![(T0 + 15_000, expected as f64)], "{GO_AT}");
}
