//! The querier API's protocol, through `router(state)` with `oneshot` and
//! a fake query service: Connect binary and JSON, gRPC, protojson names
//! and encodings, golden JSON responses for every method, errors, and the
//! services Kiln does not offer.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{router, Answer, ApiError, ApiState, QueryService};
use kiln_model::pb::google::v1 as pprof;
use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff, Level};
use prost::Message;
use tower::ServiceExt;

use common::{ok, pair, Fake, NoIngest};

fn flame_graph() -> FlameGraph {
    let level = |v: &[i64]| Level { values: v.to_vec() };
    FlameGraph {
        names: vec!["total".into(), "main".into(), "work".into()],
        levels: vec![level(&[0, 300, 0, 0]), level(&[0, 300, 100, 1]), level(&[0, 200, 200, 2])],
        total: 300,
        max_self: 200,
    }
}

impl QueryService for Fake {
    fn profile_types<'a>(&'a self, tenant: &'a str, r: q::ProfileTypesRequest) -> Answer<'a, q::ProfileTypesResponse> {
        self.record(tenant, "ProfileTypes", &r);
        let cpu = t::ProfileType {
            id: "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into(),
            name: "process_cpu".into(),
            sample_type: "cpu".into(),
            sample_unit: "nanoseconds".into(),
            period_type: "cpu".into(),
            period_unit: "nanoseconds".into(),
        };
        ok(q::ProfileTypesResponse { profile_types: vec![cpu] })
    }

    fn label_names<'a>(&'a self, tenant: &'a str, r: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse> {
        self.record(tenant, "LabelNames", &r);
        ok(t::LabelNamesResponse { names: vec!["__name__".into(), "env".into(), "service_name".into()] })
    }

    fn label_values<'a>(&'a self, tenant: &'a str, r: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse> {
        self.record(tenant, "LabelValues", &r);
        ok(t::LabelValuesResponse { names: vec!["api".into(), "worker".into()] })
    }

    fn series<'a>(&'a self, tenant: &'a str, r: q::SeriesRequest) -> Answer<'a, q::SeriesResponse> {
        self.record(tenant, "Series", &r);
        let labels = t::Labels { labels: vec![pair("env", "prod"), pair("service_name", "api")] };
        ok(q::SeriesResponse { labels_set: vec![labels] })
    }

    fn select_merge_stacktraces<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse> {
        self.record(tenant, "SelectMergeStacktraces", &r);
        if r.label_selector == "{bad" {
            return Box::pin(async { Err(ApiError::invalid("query", "invalid selector \"{bad\": at byte 4")) });
        }
        let mut out = q::SelectMergeStacktracesResponse::default();
        match r.format() {
            q::ProfileFormat::Tree => out.tree = vec![0, 1, 2, 250],
            _ => out.flamegraph = Some(flame_graph()),
        }
        ok(out)
    }

    fn select_merge_span_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse> {
        self.record(tenant, "SelectMergeSpanProfile", &r);
        ok(q::SelectMergeSpanProfileResponse { flamegraph: Some(flame_graph()), tree: Vec::new() })
    }

    fn select_merge_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeProfileRequest,
    ) -> Answer<'a, pprof::Profile> {
        self.record(tenant, "SelectMergeProfile", &r);
        ok(pprof::Profile {
            sample_type: vec![pprof::ValueType { r#type: 1, unit: 2 }],
            string_table: vec![Vec::new(), b"cpu".to_vec(), b"nanoseconds".to_vec()],
            time_nanos: 1_700_000_000_000_000_000,
            ..Default::default()
        })
    }

    fn select_series<'a>(&'a self, tenant: &'a str, r: q::SelectSeriesRequest) -> Answer<'a, q::SelectSeriesResponse> {
        self.record(tenant, "SelectSeries", &r);
        let point = |value, timestamp| t::Point { value, timestamp, ..Default::default() };
        let series = t::Series {
            labels: vec![pair("service_name", "api")],
            points: vec![point(100.0, 1_700_000_015_000), point(2.5, 1_700_000_030_000)],
        };
        ok(q::SelectSeriesResponse { series: vec![series] })
    }

    fn select_heatmap<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectHeatmapRequest,
    ) -> Answer<'a, q::SelectHeatmapResponse> {
        self.record(tenant, "SelectHeatmap", &r);
        let exemplar = t::Exemplar {
            timestamp: 1_700_000_012_345,
            profile_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7".into(),
            value: 250,
            labels: vec![pair("pod", "api-1")],
            ..Default::default()
        };
        let slot = t::HeatmapSlot {
            timestamp: 1_700_000_015_000,
            y_min: vec![100.0, 175.0],
            counts: vec![3, 1],
            exemplars: vec![exemplar],
        };
        ok(q::SelectHeatmapResponse {
            series: vec![t::HeatmapSeries { labels: vec![pair("service_name", "api")], slots: vec![slot] }],
        })
    }

    fn diff<'a>(&'a self, tenant: &'a str, r: q::DiffRequest) -> Answer<'a, q::DiffResponse> {
        self.record(tenant, "Diff", &r);
        let fg = FlameGraphDiff {
            names: vec!["total".into(), "main".into()],
            levels: vec![
                Level { values: vec![0, 10, 0, 0, 30, 0, 0] },
                Level { values: vec![0, 10, 10, 0, 30, 30, 1] },
            ],
            total: 40,
            max_self: 30,
            left_ticks: 10,
            right_ticks: 30,
        };
        ok(q::DiffResponse { flamegraph: Some(fg) })
    }

    fn get_profile_stats<'a>(
        &'a self,
        tenant: &'a str,
        r: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse> {
        self.record(tenant, "GetProfileStats", &r);
        ok(t::GetProfileStatsResponse {
            data_ingested: true,
            oldest_profile_time: 1_700_000_000_000,
            newest_profile_time: 1_700_000_600_000,
        })
    }

    fn analyze_query<'a>(&'a self, tenant: &'a str, r: q::AnalyzeQueryRequest) -> Answer<'a, q::AnalyzeQueryResponse> {
        self.record(tenant, "AnalyzeQuery", &r);
        let scope = q::QueryScope {
            component_type: "Kiln store".into(),
            component_count: 1,
            block_count: 3,
            series_count: 2,
            profile_count: 60,
            profile_bytes: 12_345,
            ..Default::default()
        };
        let impact =
            q::QueryImpact { total_bytes_in_time_range: 12_345, total_queried_series: 2, deduplication_needed: false };
        ok(q::AnalyzeQueryResponse { query_scopes: vec![scope], query_impact: Some(impact) })
    }
}

fn app() -> (axum::Router, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let mut state = ApiState::new(Arc::new(NoIngest));
    state.query = Some(fake.clone());
    (router(state), fake)
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
    grpc_status: Option<String>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

async fn post(app: &axum::Router, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut req = Request::post(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = resp.status();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let content_type = header("content-type").unwrap_or_default();
    let head_status = header("grpc-status");
    let collected = resp.into_body().collect().await.unwrap();
    let trailer = collected.trailers().and_then(|t| t.get("grpc-status")).map(|v| v.to_str().unwrap().to_owned());
    Reply { status, content_type, body: collected.to_bytes().to_vec(), grpc_status: trailer.or(head_status) }
}

async fn json(app: &axum::Router, method: &str, body: &str) -> Reply {
    let path = format!("/querier.v1.QuerierService/{method}");
    post(app, &path, &[("content-type", "application/json"), ("x-scope-orgid", "acme")], body.as_bytes().to_vec()).await
}

async fn proto(app: &axum::Router, method: &str, msg: &impl Message) -> Reply {
    let path = format!("/querier.v1.QuerierService/{method}");
    post(app, &path, &[("content-type", "application/proto")], msg.encode_to_vec()).await
}

/// Compares with `tests/golden/querier/<name>.json` (the JSON and a
/// newline); `KILN_BLESS=1` rewrites the file.
fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/querier/{name}.json"));
    kiln_golden::check(path, format!("{actual}\n"));
}

#[tokio::test]
async fn every_method_answers_json_exactly_as_its_golden_file() {
    let (app, _) = app();
    let requests = [
        ("ProfileTypes", r#"{"start":"1700000000000","end":"1700003600000"}"#),
        ("LabelNames", r#"{"matchers":["{service_name=\"api\"}"],"start":"1","end":"2"}"#),
        ("LabelValues", r#"{"name":"service_name","start":"1","end":"2"}"#),
        ("Series", r#"{"matchers":["{}"],"labelNames":["env"]}"#),
        (
            "SelectMergeStacktraces",
            r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","labelSelector":"{}"}"#,
        ),
        ("SelectMergeSpanProfile", r#"{"profileTypeID":"x:y:z::","spanSelector":["9a517183f26a089d"]}"#),
        ("SelectMergeProfile", r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds"}"#),
        ("SelectSeries", r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","step":15}"#),
        ("Diff", r#"{"left":{"profileTypeID":"a:b:c::"},"right":{"profileTypeID":"a:b:c::"}}"#),
        ("GetProfileStats", "{}"),
        ("AnalyzeQuery", r#"{"query":"process_cpu:cpu:nanoseconds:cpu:nanoseconds{}","start":"1","end":"2"}"#),
    ];
    for (method, body) in requests {
        let r = json(&app, method, body).await;
        assert_eq!(r.status, StatusCode::OK, "{method}: {}", r.text());
        assert_eq!(r.content_type, "application/json");
        golden(method, &r.text());
    }
}

#[tokio::test]
async fn select_heatmap_answers_json_with_its_enums_by_name_or_number() {
    let (app, fake) = app();
    let body = r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","labelSelector":"{}","start":"1","end":"2","step":15,"groupBy":["pod"],"queryType":"HEATMAP_QUERY_TYPE_INDIVIDUAL","exemplarType":2,"limit":"3"}"#;
    let r = json(&app, "SelectHeatmap", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    golden("SelectHeatmap", &r.text());
    let seen = fake.calls().last().cloned().unwrap();
    for field in
        ["step: 15.0", "group_by: [\"pod\"]", "query_type: Individual", "exemplar_type: Individual", "limit: Some(3)"]
    {
        assert!(seen.contains(field), "{field} in {seen}");
    }
}

#[tokio::test]
async fn json_responses_use_lower_camel_names_string_int64_and_id() {
    let (app, _) = app();
    let types = json(&app, "ProfileTypes", "{}").await.json();
    let cpu = &types["profileTypes"][0];
    assert_eq!(cpu["ID"], "process_cpu:cpu:nanoseconds:cpu:nanoseconds");
    assert_eq!(cpu["sampleType"], "cpu");
    let fg = json(&app, "SelectMergeStacktraces", "{}").await.json();
    assert_eq!(fg["flamegraph"]["maxSelf"], "200");
    assert_eq!(fg["flamegraph"]["total"], "300");
    assert_eq!(fg["flamegraph"]["levels"][1]["values"], serde_json::json!(["0", "300", "100", "1"]));
    let tree = json(&app, "SelectMergeStacktraces", r#"{"format":"PROFILE_FORMAT_TREE"}"#).await.json();
    assert_eq!(tree["tree"], "AAEC+g==", "bytes are standard base64");
    let diff = json(&app, "Diff", "{}").await.json();
    assert_eq!((&diff["flamegraph"]["leftTicks"], &diff["flamegraph"]["rightTicks"]), (&"10".into(), &"30".into()));
    let series = json(&app, "Series", "{}").await.json();
    assert_eq!(series["labelsSet"][0]["labels"][1]["value"], "api");
    let points = json(&app, "SelectSeries", "{}").await.json();
    assert_eq!(points["series"][0]["points"][0], serde_json::json!({"value": 100, "timestamp": "1700000015000"}));
    assert_eq!(points["series"][0]["points"][1]["value"], 2.5);
}

#[tokio::test]
async fn json_requests_accept_proto_and_camel_names_and_enum_names_or_numbers() {
    let (app, fake) = app();
    let proto_names = r#"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{service_name=\"api\"}",
        "start":"1000","end":2000,"max_nodes":"16","format":"PROFILE_FORMAT_TREE",
        "stack_trace_selector":{"call_site":[{"name":"main"},{"name":"work"}]},"unknownField":true}"#;
    let camel_names = r#"{"profileTypeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","labelSelector":"{service_name=\"api\"}",
        "start":1000,"end":"2000","maxNodes":16,"format":2,
        "stackTraceSelector":{"callSite":[{"name":"main"},{"name":"work"}]}}"#;
    for body in [proto_names, camel_names] {
        let r = json(&app, "SelectMergeStacktraces", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], calls[1], "both spellings decode to the same request");
    assert!(calls[0].contains("max_nodes: Some(16)") && calls[0].contains("format: Tree"), "{}", calls[0]);
    assert!(calls[0].starts_with("acme SelectMergeStacktraces"), "{}", calls[0]);
    let series = r#"{"profile_typeID":"a:b:c::","group_by":["pod"],"step":15.5,"aggregation":"TIME_SERIES_AGGREGATION_TYPE_AVERAGE","limit":"3"}"#;
    assert_eq!(json(&app, "SelectSeries", series).await.status, StatusCode::OK);
    let call = fake.calls().pop().unwrap();
    assert!(
        call.contains("step: 15.5") && call.contains("aggregation: Some(Average)") && call.contains("limit: Some(3)"),
        "{call}"
    );
}

#[tokio::test]
async fn binary_proto_round_trips_the_messages_grafana_sends() {
    let (app, fake) = app();
    let req = q::SelectMergeStacktracesRequest {
        profile_type_id: "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into(),
        label_selector: "{}".into(),
        start: 1,
        end: 2,
        max_nodes: Some(1024),
        ..Default::default()
    };
    let r = proto(&app, "SelectMergeStacktraces", &req).await;
    assert_eq!((r.status, r.content_type.as_str()), (StatusCode::OK, "application/proto"));
    let resp = q::SelectMergeStacktracesResponse::decode(r.body.as_slice()).unwrap();
    assert_eq!(resp.flamegraph, Some(flame_graph()));
    assert!(fake.calls()[0].starts_with("anonymous SelectMergeStacktraces"), "no tenant header is anonymous");
    let r = proto(&app, "Series", &q::SeriesRequest::default()).await;
    let series = q::SeriesResponse::decode(r.body.as_slice()).unwrap();
    assert_eq!(series.labels_set[0].labels[0], pair("env", "prod"));
    assert_eq!(&r.body[..1], &[0x12], "labels_set is field 2");
    let r = proto(&app, "SelectMergeProfile", &q::SelectMergeProfileRequest::default()).await;
    assert_eq!(pprof::Profile::decode(r.body.as_slice()).unwrap().time_nanos, 1_700_000_000_000_000_000);
}

fn framed(msg: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

#[tokio::test]
async fn grpc_answers_a_framed_message_and_status_zero() {
    let (app, _) = app();
    let req = t::LabelValuesRequest { name: "service_name".into(), ..Default::default() };
    let r = post(
        &app,
        "/querier.v1.QuerierService/LabelValues",
        &[("content-type", "application/grpc")],
        framed(&req.encode_to_vec()),
    )
    .await;
    assert_eq!((r.status, r.grpc_status.as_deref()), (StatusCode::OK, Some("0")));
    let len = u32::from_be_bytes(r.body[1..5].try_into().unwrap()) as usize;
    let values = t::LabelValuesResponse::decode(&r.body[5..5 + len]).unwrap();
    assert_eq!(values.names, ["api", "worker"]);
    let bad = q::SelectMergeStacktracesRequest { label_selector: "{bad".into(), ..Default::default() };
    let path = "/querier.v1.QuerierService/SelectMergeStacktraces";
    let r = post(&app, path, &[("content-type", "application/grpc")], framed(&bad.encode_to_vec())).await;
    assert_eq!(r.grpc_status.as_deref(), Some("3"), "invalid_argument");
}

#[tokio::test]
async fn errors_are_connect_invalid_argument_with_a_message() {
    let (app, _) = app();
    let r = json(&app, "SelectMergeStacktraces", r#"{"labelSelector":"{bad"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["code"], "invalid_argument");
    assert!(r.json()["message"].as_str().unwrap().contains("invalid selector"), "{}", r.text());
    for body in [r#"{"maxNodes":"lots"}"#, r#"{"start":1.5}"#, "{", "[]"] {
        let r = json(&app, "SelectMergeStacktraces", body).await;
        assert_eq!((r.status, &r.json()["code"]), (StatusCode::BAD_REQUEST, &"invalid_argument".into()), "{body}");
    }
    let r =
        post(&app, "/querier.v1.QuerierService/LabelNames", &[("content-type", "application/proto")], vec![0xff]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r =
        post(&app, "/querier.v1.QuerierService/LabelNames", &[("content-type", "text/plain")], b"{}".to_vec()).await;
    assert_eq!(r.json()["code"], "invalid_argument");
}

#[tokio::test]
async fn services_kiln_does_not_offer_answer_unimplemented() {
    let (app, _) = app();
    let paths = [
        "/adhocprofiles.v1.AdHocProfileService/Upload",
        "/adhocprofiles.v1.AdHocProfileService/Get",
        "/settings.v1.SettingsService/Get",
        "/settings.v1.RecordingRulesService/ListRecordingRules",
        "/vcs.v1.VCSService/GithubApp",
        "/querier.v1.QuerierService/NoSuchMethod",
    ];
    for path in paths {
        let r = post(&app, path, &[("content-type", "application/json")], b"{}".to_vec()).await;
        assert_eq!(r.status, StatusCode::NOT_IMPLEMENTED, "{path}");
        assert_eq!(r.json()["code"], "unimplemented", "{path}");
        assert!(r.json()["message"].as_str().unwrap().contains(path.trim_start_matches('/')), "{}", r.text());
    }
    let r = post(&app, "/settings.v1.SettingsService/Get", &[("content-type", "application/grpc")], framed(&[])).await;
    assert_eq!(r.grpc_status.as_deref(), Some("12"));
}

#[tokio::test]
async fn without_a_query_service_the_querier_is_unimplemented() {
    let app = router(ApiState::new(Arc::new(NoIngest)));
    let r = json(&app, "ProfileTypes", "{}").await;
    assert_eq!((r.status, &r.json()["code"]), (StatusCode::NOT_IMPLEMENTED, &"unimplemented".into()));
}
