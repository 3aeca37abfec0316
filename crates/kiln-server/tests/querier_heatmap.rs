//! `SelectHeatmap` against a real store, individual and span queries:
//! slots, value buckets, counts and exemplars checked against Pyroscope
//! 2.x's bucketing computed here by hand, and pinned as golden JSON.

mod querier_data;

use querier_data::{app, call, golden, store, CPU, SHOP, T0, T1, T2, T3};
use serde_json::{json, Value};

/// The heatmap of `shop` over `(T0, T0+30s]` at 15 s: data is read from
/// one step before the start, so the first slot (right edge T0+15s) holds
/// profiles 0 and 1 and the second (T0+30s) profiles 2 and 3.
fn request(query_type: &str, exemplar_type: &str) -> Value {
    json!({
        "profileTypeID": CPU, "labelSelector": "{service_name=\"shop\"}",
        "start": (T0 + 15_000).to_string(), "end": (T0 + 30_000).to_string(), "step": 15,
        "queryType": query_type, "exemplarType": exemplar_type,
    })
}

/// Pyroscope's 20 buckets between `min` and `max`: each lower bound.
fn y_min(min: i64, max: i64) -> Vec<f64> {
    let size = (max - min) as f64 / 20.0;
    (0..20).map(|i| (min + (i as f64 * size) as i64) as f64).collect()
}

fn counts(at: &[usize]) -> Vec<i64> {
    let mut c = vec![0; 20];
    for &i in at {
        c[i] += 1;
    }
    c
}

/// `(timestamp, y_min, counts)` of each slot of the only series.
fn slots(resp: &Value) -> Vec<(String, Vec<f64>, Vec<i64>)> {
    let series = resp["series"].as_array().unwrap();
    assert_eq!(series.len(), 1, "{resp}");
    let nums = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
    let ints = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>();
    let slot = |s: &Value| (s["timestamp"].as_str().unwrap().to_owned(), nums(&s["yMin"]), ints(&s["counts"]));
    series[0]["slots"].as_array().unwrap().iter().map(slot).collect()
}

fn exemplar_values(resp: &Value, slot: usize) -> Vec<String> {
    let ex = resp["series"][0]["slots"][slot]["exemplars"].as_array().unwrap();
    ex.iter().map(|e| e["value"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn individual_heatmap_buckets_each_profile_by_its_total() {
    let app = app(store().await);
    let (status, resp) =
        call(&app, "SelectHeatmap", request("HEATMAP_QUERY_TYPE_INDIVIDUAL", "EXEMPLAR_TYPE_INDIVIDUAL")).await;
    assert_eq!(status, 200, "{resp}");
    // Totals 100, 80, 45, 200: buckets of 7.75 from 45; 100 falls in
    // [99, 107) (7), 80 in [76, 83) (4), 45 in 0, 200 in the last.
    let totals: Vec<i64> = SHOP.iter().map(|s| s.total()).collect();
    assert_eq!(totals, [100, 80, 45, 200]);
    let y = y_min(45, 200);
    let edge = |s: i64| (T0 + s).to_string();
    assert_eq!(slots(&resp), vec![(edge(15_000), y.clone(), counts(&[7, 4])), (edge(30_000), y, counts(&[0, 19]))]);
    assert_eq!(exemplar_values(&resp, 0), ["80", "100"], "one per non-empty bucket, in bucket order");
    assert_eq!(exemplar_values(&resp, 1), ["45", "200"]);
    let first = &resp["series"][0]["slots"][0]["exemplars"][0];
    assert_eq!(first["profileId"], SHOP[1].uuid());
    assert_eq!(first["timestamp"], SHOP[1].at.to_string());
    golden("SelectHeatmap_individual", &resp);
}

#[tokio::test]
async fn span_heatmap_buckets_each_span_of_each_profile() {
    let app = app(store().await);
    let (status, resp) = call(&app, "SelectHeatmap", request("HEATMAP_QUERY_TYPE_SPAN", "EXEMPLAR_TYPE_SPAN")).await;
    assert_eq!(status, 200, "{resp}");
    // Spans: a1 = 30 + 20 in profile 0, b2 = 70, a1 = 40 in profile 2,
    // c3 = 200; samples without a span are left out. Buckets of 8 from 40.
    let y = y_min(40, 200);
    let edge = |s: i64| (T0 + s).to_string();
    assert_eq!(slots(&resp), vec![(edge(15_000), y.clone(), counts(&[1, 3])), (edge(30_000), y, counts(&[0, 19]))]);
    let spans = |slot: usize| {
        let ex = resp["series"][0]["slots"][slot]["exemplars"].as_array().unwrap().clone();
        ex.iter()
            .map(|e| (e["spanId"].as_str().unwrap().to_owned(), e["traceId"].as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
    };
    let s = |id: &str, t: &str| (id.to_owned(), t.to_owned());
    assert_eq!(spans(0), [s("00000000000000a1", T1), s("00000000000000b2", T2)]);
    assert_eq!(spans(1), [s("00000000000000a1", T1), s("00000000000000c3", T3)]);
    golden("SelectHeatmap_span", &resp);
}

#[tokio::test]
async fn heatmap_groups_by_labels_and_keeps_the_top_series_by_count() {
    let app = app(store().await);
    let mut req = request("HEATMAP_QUERY_TYPE_INDIVIDUAL", "EXEMPLAR_TYPE_NONE");
    req["groupBy"] = json!(["service_name"]);
    req["labelSelector"] = json!("{}");
    let (_, resp) = call(&app, "SelectHeatmap", req.clone()).await;
    let names: Vec<&str> =
        resp["series"].as_array().unwrap().iter().map(|s| s["labels"][0]["value"].as_str().unwrap()).collect();
    assert_eq!(names, ["checkout", "shop"], "one series per service, by labels");
    assert!(resp["series"][1]["slots"][0].get("exemplars").is_none(), "no exemplars asked for");
    req["limit"] = json!("1");
    let (_, resp) = call(&app, "SelectHeatmap", req).await;
    let names: Vec<&str> =
        resp["series"].as_array().unwrap().iter().map(|s| s["labels"][0]["value"].as_str().unwrap()).collect();
    assert_eq!(names, ["shop"], "4 profiles beat 1");
}
