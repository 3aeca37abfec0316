//! Every ingest route, format and error path, through `router(state)` with
//! `oneshot`: no socket, a recording sink instead of a store.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::{router, ApiState, IngestSink, Ingested, SinkError};
use kiln_model::{gzip, Tree};
use prost::Message;
use tower::ServiceExt;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const JFR: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/jfr/hot.jfr");
const SPEEDSCOPE: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/py-spy/hot.speedscope.json");

#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Vec<Ingested>)>>);

impl IngestSink for Recorder {
    fn ingest<'a>(&'a self, tenant: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        self.0.lock().unwrap().push((tenant.to_owned(), profiles));
        Box::pin(async { Ok(()) })
    }
}

impl Recorder {
    fn all(&self) -> Vec<Ingested> {
        self.0.lock().unwrap().iter().flat_map(|(_, p)| p.clone()).collect()
    }
    /// `__profile_type__` of every stored series.
    fn types(&self) -> Vec<String> {
        let mut t: Vec<String> =
            self.all().iter().flat_map(|i| i.series.iter().map(|(l, _)| label(l, "__profile_type__"))).collect();
        t.sort();
        t
    }
}

fn label(l: &[(String, String)], name: &str) -> String {
    l.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn app() -> (axum::Router, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let mut state = ApiState::new(rec.clone());
    // Fixtures were recorded before today: accept any timestamp.
    state.limits.reject_older_than_nanos = 0;
    state.limits.reject_newer_than_nanos = 0;
    (router(state), rec)
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(uri: &str, ct: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri).header("content-type", ct).body(body.into()).unwrap()
}

fn multipart(fields: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "kilnboundary42";
    let mut body = Vec::new();
    for (name, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn folded_cpu_upload_becomes_a_nanosecond_cpu_series() {
    let (app, rec) = app();
    let (s, _) = send(
        &app,
        post(
            "/ingest?name=shop.cpu{env=prod}&sampleRate=100&spyName=gospy&from=1700000000",
            "text/plain",
            "main;work 3\nmain;idle 1\n",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rec.types(), ["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]);
    let i = &rec.all()[0];
    let (labels, st) = &i.series[0];
    assert_eq!(label(labels, "service_name"), "shop");
    assert_eq!(label(labels, "env"), "prod");
    assert_eq!(label(labels, "pyroscope_spy"), "gospy");
    assert_eq!(Tree::from_profile(&i.profile, *st).folded_map()["main;work"], 30_000_000);
    assert_eq!(i.time_nanos, 1_700_000_000_000_000_000);
}

#[tokio::test]
async fn lines_tree_and_trie_bodies_are_accepted() {
    let (app, rec) = app();
    let mut t = Tree::new();
    t.insert_stack(&["a", "b"], 2);
    let cases: Vec<(String, &str, Vec<u8>)> = vec![
        ("/ingest?name=x.alloc_space&format=lines".into(), "text/plain", b"a;b\na;b\n".to_vec()),
        (
            "/pyroscope/ingest?name=x.cpu&format=tree".into(),
            "application/octet-stream",
            kiln_model::tree_format::encode(&t, 0),
        ),
        ("/ingest?name=x.cpu".into(), "binary/octet-stream+trie", kiln_model::trie::encode(&t)),
    ];
    for (uri, ct, body) in cases {
        let (s, b) = send(&app, post(&uri, ct, body)).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    }
    assert_eq!(
        rec.types(),
        [
            "memory:alloc_space:bytes::",
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        ]
    );
}

#[tokio::test]
async fn go_sdk_style_multipart_pprof_splits_per_sample_type() {
    let (app, rec) = app();
    let (ct, body) = multipart(&[("profile", GO_CPU)]);
    let uri = "/ingest?name=svc{pod=p1}&from=1700000000000000000&until=1700000010000000000&spyName=gospy&sampleRate=100&units=samples&aggregationType=sum";
    let (s, b) = send(&app, post(uri, &ct, body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        rec.types(),
        ["process_cpu:cpu:nanoseconds:cpu:nanoseconds", "process_cpu:samples:count:cpu:nanoseconds"]
    );
    let all = rec.all();
    let (labels, st) = all[0].series.iter().find(|(l, _)| label(l, "__type__") == "cpu").unwrap();
    assert_eq!(label(labels, "pod"), "p1");
    let tree = Tree::from_profile(&all[0].profile, *st);
    let hottest = tree.folded_map().into_iter().max_by_key(|(_, v)| *v).unwrap();
    assert!(hottest.0.contains("main.burn"), "{hottest:?}");
}

#[tokio::test]
async fn sample_type_config_names_a_block_profile() {
    let (app, rec) = app();
    let config = br#"{"contentions":{"display-name":"block_count","units":"lock_samples"},"delay":{"display-name":"block_duration","units":"lock_nanoseconds"}}"#;
    let block = include_bytes!("../../kiln-model/tests/fixtures/go/block.pb.gz");
    let (ct, body) = multipart(&[("profile", block), ("sample_type_config", config)]);
    let (s, b) = send(&app, post("/ingest?name=svc", &ct, body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(rec.types().iter().all(|t| t.starts_with("block:")), "{:?}", rec.types());
}

#[tokio::test]
async fn raw_pprof_and_gzip_content_encoding_are_accepted() {
    let (app, rec) = app();
    let raw = gzip::gunzip("t", GO_CPU, 1 << 20).unwrap();
    let req = Request::post("/ingest?name=svc&format=pprof")
        .header("content-encoding", "gzip")
        .body(Body::from(gzip::gzip(&raw)))
        .unwrap();
    let (s, b) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(rec.types().len(), 2);
}

#[tokio::test]
async fn jfr_raw_and_multipart_uploads_become_java_series() {
    let (app, rec) = app();
    let (s, b) =
        send(&app, post("/ingest?name=java.app&format=jfr&spyName=javaspy", "application/octet-stream", JFR)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (ct, body) = multipart(&[("jfr", JFR)]);
    let (s, b) = send(&app, post("/ingest?name=java.app&format=jfr", &ct, body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let types = rec.types();
    assert!(types.iter().any(|t| t.starts_with("process_cpu:")), "{types:?}");
    assert!(types.iter().any(|t| t.starts_with("memory:")), "{types:?}");
}

#[tokio::test]
async fn speedscope_upload_is_accepted() {
    let (app, rec) = app();
    let (s, b) = send(&app, post("/ingest?name=py.cpu&format=speedscope", "application/json", SPEEDSCOPE)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(rec.types().len(), 1);
}

fn push_request(labels: &[(&str, &str)], profile: Vec<u8>) -> kiln_api::pb::push::PushRequest {
    use kiln_api::pb::push::*;
    PushRequest {
        series: vec![RawProfileSeries {
            labels: labels.iter().map(|(n, v)| LabelPair { name: n.to_string(), value: v.to_string() }).collect(),
            samples: vec![RawSample { raw_profile: profile, id: "6ba7b810-9dad-11d1-80b4-00c04fd430c8".into() }],
        }],
    }
}

#[tokio::test]
async fn push_over_connect_proto_gzip_and_json() {
    let (app, rec) = app();
    let msg = push_request(&[("__name__", "process_cpu"), ("service_name", "rusty")], GO_CPU.to_vec());
    let req = Request::post("/push.v1.PusherService/Push")
        .header("content-type", "application/proto")
        .header("content-encoding", "gzip")
        .header("x-scope-orgid", "team-a")
        .body(Body::from(gzip::gzip(&msg.encode_to_vec())))
        .unwrap();
    let (s, b) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    use base64::Engine;
    let json = serde_json::json!({"series":[{"labels":[{"name":"__name__","value":"process_cpu"},{"name":"service_name","value":"jsony"}],"samples":[{"rawProfile": base64::engine::general_purpose::STANDARD.encode(GO_CPU), "ID": "x"}]}]});
    let (s, b) = send(&app, post("/push.v1.PusherService/Push", "application/json", json.to_string())).await;
    assert_eq!((s, b.as_str()), (StatusCode::OK, "{}"));
    let calls = rec.0.lock().unwrap();
    assert_eq!(calls[0].0, "team-a");
    assert_eq!(calls[1].0, "anonymous");
    assert_eq!(calls[0].1[0].id, 0x6ba7b810_9dad_11d1_80b4_00c04fd430c8);
    assert_eq!(label(&calls[1].1[0].series[0].0, "service_name"), "jsony");
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_stores_nothing() {
    let (app, rec) = app();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (post("/ingest", "text/plain", "a 1"), StatusCode::BAD_REQUEST, "name query parameter is required"),
        (post("/ingest?name=app.cpu&from=yesterday", "text/plain", "a 1"), StatusCode::BAD_REQUEST, "from"),
        (post("/ingest?name=app.cpu", "text/plain", "a;b 1\na;b x\n"), StatusCode::BAD_REQUEST, "folded at line 2"),
        (post("/ingest?name=app.bogus", "text/plain", "a 1"), StatusCode::BAD_REQUEST, "unknown profile type"),
        (
            post("/ingest?name=app&format=pprof", "application/octet-stream", &b"\xff\xff\xff"[..]),
            StatusCode::BAD_REQUEST,
            "pprof",
        ),
        (
            post("/ingest?name=app&format=jfr", "application/octet-stream", "not a recording"),
            StatusCode::BAD_REQUEST,
            "jfr",
        ),
        (
            post("/push.v1.PusherService/Push", "application/proto", &b"\x0a\x05\x12"[..]),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
        ),
        (post("/push.v1.PusherService/Push", "text/csv", ""), StatusCode::BAD_REQUEST, "unsupported content type"),
        (
            post("/push.v1.PusherService/Push", "application/json", "{\"series\": [ }"),
            StatusCode::BAD_REQUEST,
            "line 1",
        ),
    ];
    for (req, status, needle) in cases {
        let uri = req.uri().to_string();
        let (s, b) = send(&app, req).await;
        assert_eq!(s, status, "{uri}: {b}");
        assert!(b.contains(needle), "{uri}: {b}");
        assert!(serde_json::from_str::<serde_json::Value>(&b).is_ok(), "{uri}: error body is JSON: {b}");
    }
    let (ct, body) = multipart(&[("profile", GO_CPU), ("prev_profile", GO_CPU)]);
    let (s, b) = send(&app, post("/ingest?name=svc", &ct, body)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("unsupported client version"), "{b}");
    let reserved = push_request(&[("__type__", "forged"), ("service_name", "x")], GO_CPU.to_vec());
    let (s, b) = send(&app, post("/push.v1.PusherService/Push", "application/proto", reserved.encode_to_vec())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("__type__") && b.contains("reserved"), "{b}");
    assert!(rec.all().is_empty(), "nothing was stored");
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let rec = Arc::new(Recorder::default());
    let mut state = ApiState::new(rec.clone());
    state.body_limit = 1024;
    let app = router(state);
    let (s, b) = send(&app, post("/ingest?name=a.cpu", "text/plain", vec![b'a'; 4096])).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    let bomb = gzip::gzip(&vec![b'a'; 1 << 20]);
    let req = Request::post("/ingest?name=a.cpu").header("content-encoding", "gzip").body(Body::from(bomb)).unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(rec.all().is_empty());
}

#[tokio::test]
async fn health_ready_and_metrics_count_ingest_and_rejects() {
    let (app, _) = app();
    send(&app, post("/ingest?name=a.cpu", "text/plain", "x 1\n")).await;
    send(&app, post("/ingest", "text/plain", "x 1\n")).await;
    assert_eq!(send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await.0, StatusCode::OK);
    assert_eq!(send(&app, Request::get("/ready").body(Body::empty()).unwrap()).await.0, StatusCode::OK);
    let (s, m) = send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(m.contains("kiln_ingested_profiles_total{tenant=\"anonymous\",format=\"folded\"} 1"), "{m}");
    assert!(m.contains("kiln_rejected_requests_total{reason=\"missing_name\"} 1"), "{m}");
    assert!(m.contains("kiln_request_duration_seconds_count{route=\"ingest\"} 2"), "{m}");
}
