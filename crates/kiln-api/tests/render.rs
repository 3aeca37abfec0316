//! The legacy query routes through `router(state)` with `oneshot` and a
//! fake query service: `/pyroscope/render` (timeline, groups, dot),
//! `/pyroscope/render-diff`, `/pyroscope/label-values`, and v0's `/render`
//! (json, pprof, collapsed, html), `/render-diff`, `/labels`,
//! `/label-values`, `/api/apps`; golden JSON under `tests/golden/render/`.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{router, Answer, ApiError, ApiState, QueryService};
use kiln_model::flamegraph::flame_graph;
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::pb::google::v1 as pprof;
use kiln_model::Tree;
use prost::Message;
use tower::ServiceExt;

use common::{ok, pair, Fake, NoIngest};

const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
/// 2024-03-01T00:00:00Z in ms; an hour later.
const FROM: i64 = 1_709_251_200_000;
const UNTIL: i64 = FROM + 3_600_000;

fn unused<'a, T: Send + 'a>() -> Answer<'a, T> {
    Box::pin(async { Err(ApiError::invalid("test", "not used by the render routes")) })
}

fn tree(folded: &str) -> Tree {
    let mut t = Tree::new();
    for line in folded.lines() {
        let (stack, v) = line.rsplit_once(' ').unwrap();
        t.insert_stack(&stack.split(';').collect::<Vec<_>>(), v.parse().unwrap());
    }
    t
}

fn left() -> Tree {
    tree("main;work;<compute> 300\nmain;idle 100\nmain 50\n")
}

fn right() -> Tree {
    tree("main;work;<compute> 200\nmain;idle 200\nmain;gc 25\n")
}

fn point(timestamp: i64, value: f64) -> t::Point {
    t::Point { timestamp, value, ..Default::default() }
}

impl QueryService for Fake {
    fn profile_types<'a>(&'a self, tenant: &'a str, r: q::ProfileTypesRequest) -> Answer<'a, q::ProfileTypesResponse> {
        self.record(tenant, "ProfileTypes", &r);
        let pt = |id: &str| t::ProfileType { id: id.into(), ..Default::default() };
        ok(q::ProfileTypesResponse { profile_types: vec![pt(CPU), pt("memory:alloc_space:bytes:space:bytes")] })
    }
    fn label_names<'a>(&'a self, tenant: &'a str, r: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse> {
        self.record(tenant, "LabelNames", &r);
        let names = ["__name__", "__profile_type__", "env", "service_name"];
        ok(t::LabelNamesResponse { names: names.iter().map(|s| s.to_string()).collect() })
    }
    fn label_values<'a>(&'a self, tenant: &'a str, r: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse> {
        self.record(tenant, "LabelValues", &r);
        let names: Vec<&str> = match r.name.as_str() {
            "__profile_type__" => vec![CPU],
            "pyroscope_spy" => vec!["gospy"],
            "" => vec![],
            _ => vec!["dev", "prod"],
        };
        ok(t::LabelValuesResponse { names: names.into_iter().map(String::from).collect() })
    }
    fn series<'a>(&'a self, tenant: &'a str, r: q::SeriesRequest) -> Answer<'a, q::SeriesResponse> {
        self.record(tenant, "Series", &r);
        let set = |svc: &str, pt: &str| t::Labels {
            labels: vec![pair("service_name", svc), pair("__profile_type__", pt), pair("pyroscope_spy", "gospy")],
        };
        let labels_set = vec![
            set("api", CPU),
            set("api", "process_cpu:samples:count:cpu:nanoseconds"),
            set("api", "memory:alloc_space:bytes:space:bytes"),
            set("db", "mutex:delay:nanoseconds:contentions:count"),
        ];
        ok(q::SeriesResponse { labels_set })
    }
    fn select_merge_stacktraces<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse> {
        self.record(tenant, "SelectMergeStacktraces", &r);
        let max_nodes = r.max_nodes.filter(|&n| n > 0).unwrap_or(8192);
        ok(q::SelectMergeStacktracesResponse {
            flamegraph: Some(flame_graph(&left(), max_nodes)),
            ..Default::default()
        })
    }
    fn select_merge_span_profile<'a>(
        &'a self,
        _: &'a str,
        _: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse> {
        unused()
    }
    fn select_heatmap<'a>(&'a self, _: &'a str, _: q::SelectHeatmapRequest) -> Answer<'a, q::SelectHeatmapResponse> {
        unused()
    }
    fn select_merge_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeProfileRequest,
    ) -> Answer<'a, pprof::Profile> {
        self.record(tenant, "SelectMergeProfile", &r);
        let bytes = kiln_model::pprof::encode(&left().to_profile(("cpu", "nanoseconds")));
        ok(pprof::Profile::decode(bytes.as_slice()).unwrap())
    }
    /// One point in the second step and one in the fourth; with `group_by`,
    /// two series, `env=prod` and `env=dev`.
    fn select_series<'a>(&'a self, tenant: &'a str, r: q::SelectSeriesRequest) -> Answer<'a, q::SelectSeriesResponse> {
        self.record(tenant, "SelectSeries", &r);
        let step = (r.step * 1000.0) as i64;
        let series = |labels: Vec<t::LabelPair>, v: f64| t::Series {
            labels,
            points: vec![point(r.start + step, v), point(r.start + 3 * step, 2.0 * v)],
        };
        let out = if r.group_by.is_empty() {
            vec![series(vec![], 450.0)]
        } else {
            vec![series(vec![pair("env", "dev")], 50.0), series(vec![pair("env", "prod")], 400.0)]
        };
        ok(q::SelectSeriesResponse { series: out })
    }
    fn diff<'a>(&'a self, tenant: &'a str, r: q::DiffRequest) -> Answer<'a, q::DiffResponse> {
        self.record(tenant, "Diff", &r);
        ok(q::DiffResponse { flamegraph: Some(flame_graph_diff(&left(), &right(), 8192).unwrap()) })
    }
    fn get_profile_stats<'a>(
        &'a self,
        _: &'a str,
        _: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse> {
        unused()
    }
    fn analyze_query<'a>(&'a self, _: &'a str, _: q::AnalyzeQueryRequest) -> Answer<'a, q::AnalyzeQueryResponse> {
        unused()
    }
}

fn app() -> (axum::Router, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let mut state = ApiState::new(Arc::new(NoIngest));
    state.query = Some(fake.clone());
    state.clock = Arc::new(|| UNTIL * 1_000_000);
    (router(state), fake)
}

struct Reply {
    status: StatusCode,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` with `query` pairs, URL-encoded.
async fn get(app: &axum::Router, path: &str, query: &[(&str, &str)]) -> Reply {
    let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let uri = format!("{path}?{}", qs.join("&"));
    let req = Request::get(uri).header("x-scope-orgid", "acme").body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let header = |name: &str| resp.headers().get(name).map_or(String::new(), |v| v.to_str().unwrap().to_owned());
    let (status, content_type, disposition) = (resp.status(), header("content-type"), header("content-disposition"));
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply { status, content_type, disposition, body }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Compares with `tests/golden/render/<name>`; `KILN_BLESS=1` rewrites it.
fn golden(name: &str, actual: &str) {
    kiln_golden::check(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/render/{name}")),
        actual,
    );
}

fn range() -> [(&'static str, String); 2] {
    [("from", FROM.to_string()), ("until", UNTIL.to_string())]
}

async fn render(app: &axum::Router, extra: &[(&str, &str)]) -> Reply {
    let [(f, from), (u, until)] = range();
    let query = format!("{CPU}{{service_name=\"api\"}}");
    let mut params = vec![("query", query.as_str()), (f, from.as_str()), (u, until.as_str())];
    params.extend_from_slice(extra);
    get(app, "/pyroscope/render", &params).await
}

#[tokio::test]
async fn render_answers_flamebearer_with_a_backfilled_timeline_as_the_golden_file() {
    let (app, fake) = app();
    let r = render(&app, &[("max-nodes", "4")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type, "application/json");
    golden("render_single.json", &r.text());
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let timeline = &json["timeline"];
    assert_eq!(timeline["durationDelta"], 15, "an hour is 2.4 s a point: the 15 s minimum");
    assert_eq!(timeline["startTime"], FROM / 1000);
    let samples = timeline["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 240, "every 15 s step of the hour, zeros included");
    assert_eq!((samples[1].as_u64(), samples[3].as_u64(), samples[2].as_u64()), (Some(450), Some(900), Some(0)));
    assert_eq!(json["metadata"]["sampleRate"], 1_000_000_000, "cpu nanoseconds, as ExportToFlamebearer");
    let calls = fake.calls().join("\n");
    assert!(calls.contains("label_selector: \"{service_name=\\\"api\\\"}\""), "{calls}");
    assert!(calls.contains("max_nodes: Some(4)") && calls.contains("step: 15.0"), "{calls}");
}

#[tokio::test]
async fn render_with_group_by_adds_one_timeline_per_label_value() {
    let (app, fake) = app();
    let r = render(&app, &[("groupBy", "env"), ("aggregation", "avg")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    golden("render_groups.json", &r.text());
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(json["groups"]["prod"]["samples"][3], 800);
    assert_eq!(json["groups"]["dev"]["samples"][1], 50);
    assert_eq!(json["timeline"]["samples"].as_array().unwrap().iter().filter(|v| *v != 0).count(), 0);
    let calls = fake.calls().join("\n");
    assert!(calls.contains("group_by: [\"env\"]") && calls.contains("aggregation: Some(Average)"), "{calls}");
}

#[tokio::test]
async fn steps_are_nice_intervals_of_range_over_1500_and_empty_ranges_have_no_samples() {
    let (app, _) = app();
    // (range, step: range / 1500 rounded as Grafana does, samples)
    for (range_ms, step, samples) in
        [(0, 15, 0), (3_600_000, 15, 240), (86_400_000, 60, 1440), (7 * 86_400_000, 300, 2016)]
    {
        let from = (UNTIL - range_ms).to_string();
        let r = get(&app, "/pyroscope/render", &[("query", CPU), ("from", &from), ("until", "now")]).await;
        let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(json["timeline"]["durationDelta"], step, "{range_ms} ms");
        assert_eq!(json["timeline"]["samples"].as_array().unwrap().len(), samples, "{range_ms} ms");
    }
}

#[tokio::test]
async fn render_dot_is_a_graphviz_call_graph() {
    let (app, fake) = app();
    let r = render(&app, &[("format", "dot"), ("max-nodes", "3")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let dot = r.text();
    assert!(dot.starts_with("digraph \"unnamed\" {") && dot.trim_end().ends_with('}'), "{dot}");
    assert!(dot.contains("N1 [label=\"main\\n50ns (11.11%)\\nof 450ns (100.00%)\""), "{dot}");
    assert!(dot.contains("N1 -> N3 [label=\" 300ns\"") && dot.contains("N3 -> N2"), "main calls work: {dot}");
    assert!(!dot.contains("idle"), "the 3 functions with the largest totals: {dot}");
    assert!(fake.calls().join("\n").contains("SelectMergeProfile"));
}

#[tokio::test]
async fn render_diff_answers_a_double_flamebearer() {
    let (app, fake) = app();
    let q = format!("{CPU}{{}}");
    let [(_, from), (_, until)] = range();
    let params = [
        ("leftQuery", q.as_str()),
        ("leftFrom", from.as_str()),
        ("leftUntil", until.as_str()),
        ("rightQuery", q.as_str()),
        ("rightFrom", from.as_str()),
        ("rightUntil", until.as_str()),
    ];
    let r = get(&app, "/pyroscope/render-diff", &params).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    golden("render_diff.json", &r.text());
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((json["leftTicks"].as_i64(), json["rightTicks"].as_i64()), (Some(450), Some(425)));
    assert!(fake.calls().iter().any(|c| c.contains("Diff")));
}

/// Query-string pairs of a request.
type Params<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn bad_queries_ranges_and_mismatched_types_are_400_with_a_message() {
    let (app, _) = app();
    let cases: Vec<(&str, Params, &str)> = vec![
        ("/pyroscope/render", vec![("query", "process_cpu{service_name=")], "query"),
        ("/pyroscope/render", vec![("from", "now")], "'query' is required"),
        ("/pyroscope/render", vec![("query", CPU), ("from", "yesterday")], "invalid 'from'"),
        ("/pyroscope/render", vec![("query", "{service_name=\"api\"}")], "profile-type"),
        (
            "/pyroscope/render-diff",
            vec![("leftQuery", CPU), ("rightQuery", "memory:alloc_space:bytes:space:bytes")],
            "profile types must match",
        ),
        ("/pyroscope/label-values", vec![], "label parameter is required"),
        ("/render", vec![("query", "app.cpu"), ("format", "svg")], "unknown format"),
        ("/render", vec![("query", "app.nosuchtype")], "unknown profile type"),
    ];
    for (path, params, message) in cases {
        let r = get(&app, path, &params).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path} {params:?}: {}", r.text());
        let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(json["code"], "invalid_argument");
        assert!(json["message"].as_str().unwrap().contains(message), "{path} {params:?}: {}", r.text());
    }
}

#[tokio::test]
async fn label_values_of_name_lists_profile_types() {
    let (app, _) = app();
    let r = get(&app, "/pyroscope/label-values", &[("label", "__name__")]).await;
    assert_eq!(r.text(), format!("[\"{CPU}\",\"memory:alloc_space:bytes:space:bytes\"]\n"));
    let r = get(&app, "/pyroscope/label-values", &[("label", "env")]).await;
    assert_eq!(r.text(), "null\n", "Pyroscope asks LabelValues with an empty request");
}

#[tokio::test]
async fn v0_render_json_adds_app_metadata_and_annotations() {
    let (app, fake) = app();
    let [(_, from), (_, until)] = range();
    let params = [("query", "api.cpu{env=\"prod\"}"), ("from", from.as_str()), ("until", until.as_str())];
    let r = get(&app, "/render", &params).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    golden("v0_render.json", &r.text());
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let md = &json["metadata"];
    assert_eq!((md["appName"].as_str(), md["spyName"].as_str()), (Some("api.cpu"), Some("gospy")));
    assert_eq!((md["startTime"].as_i64(), md["endTime"].as_i64()), (Some(FROM / 1000), Some(UNTIL / 1000)));
    assert_eq!(md["maxNodes"], 8192);
    assert_eq!(json["annotations"], serde_json::json!([]));
    let calls = fake.calls().join("\n");
    assert!(calls.contains(&format!("profile_type_id: \"{CPU}\"")), "the app resolves to its profile type: {calls}");
}

#[tokio::test]
async fn v0_render_downloads_pprof_collapsed_and_html_files() {
    let (app, _) = app();
    let name = "api.cpu{env=prod}";
    let from = FROM.to_string();
    for (format, content_type, file) in [
        ("pprof", "application/octet-stream", "api.cpu 2024-03-01T00:00:00Z.pprof"),
        ("collapsed", "application/octet-stream", "api.cpu 2024-03-01T00:00:00Z.collapsed.txt"),
        ("html", "text/html", "api.cpu 2024-03-01T00:00:00Z.html"),
    ] {
        let r = get(&app, "/render", &[("name", name), ("from", &from), ("format", format)]).await;
        assert_eq!(r.status, StatusCode::OK, "{format}: {}", r.text());
        assert_eq!(r.content_type, content_type, "{format}");
        assert_eq!(r.disposition, format!("attachment; filename=\"{file}\""), "{format}");
        match format {
            "pprof" => {
                let p = kiln_model::pprof::decode(&r.body).unwrap();
                assert_eq!(Tree::from_profile(&p, 0).folded_map(), left().folded_map());
            }
            "collapsed" => assert_eq!(r.text(), "main 50\nmain;idle 100\nmain;work;<compute> 300\n"),
            _ => assert!(r.text().starts_with("<!doctype html>") && r.text().contains("compute")),
        }
    }
}

#[tokio::test]
async fn v0_render_diff_labels_label_values_and_apps() {
    let (app, fake) = app();
    let params = [("leftQuery", "api.cpu"), ("rightQuery", "api.cpu"), ("leftFrom", "now-1h"), ("rightFrom", "now-2h")];
    let r = get(&app, "/render-diff", &params).await;
    let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(json["metadata"]["format"], "double");
    assert_eq!(json["metadata"]["appName"], "diff_api.cpu_api.cpu");
    assert_eq!(json["metadata"]["startTime"], UNTIL / 1000 - 7200);

    let r = get(&app, "/labels", &[("query", "api.cpu")]).await;
    assert_eq!(r.text(), "[\"__name__\",\"env\",\"service_name\"]");
    let r = get(&app, "/label-values", &[("label", "env"), ("query", "api.cpu")]).await;
    assert_eq!(r.text(), "[\"dev\",\"prod\"]");
    let calls = fake.calls().join("\n");
    assert!(calls.contains(&format!("matchers: [\"{{__profile_type__=\\\"{CPU}\\\"")), "{calls}");

    let r = get(&app, "/api/apps", &[]).await;
    let expected = serde_json::json!([
        {"name": "api.alloc_space", "spyName": "gospy", "units": "bytes"},
        {"name": "api.cpu", "spyName": "gospy", "sampleRate": 100, "units": "samples"},
        {"name": "db.mutex_duration", "spyName": "gospy", "units": "lock_nanoseconds"},
    ]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(), expected);
    let r = get(&app, "/label-values", &[("label", "__name__")]).await;
    assert_eq!(r.text(), "[\"api.alloc_space\",\"api.cpu\",\"db.mutex_duration\"]");
}
