//! The Push API over gRPC framing and OTLP profiles over HTTP and gRPC,
//! through `router(state)` with `oneshot`.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::{router, ApiState, IngestSink, Ingested, SinkError};
use prost::Message;
use tower::ServiceExt;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const OTLP_PB: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/otlp/request.pb");
const OTLP_JSON: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/otlp/request.json");

#[derive(Default)]
struct Recorder(Mutex<Vec<Ingested>>);

impl IngestSink for Recorder {
    fn ingest<'a>(&'a self, _: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        self.0.lock().unwrap().extend(profiles);
        Box::pin(async { Ok(()) })
    }
}

fn app() -> (axum::Router, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let mut state = ApiState::new(rec.clone());
    state.limits.reject_older_than_nanos = 0;
    state.limits.reject_newer_than_nanos = 0;
    (router(state), rec)
}

fn framed(msg: &[u8], compressed: bool) -> Vec<u8> {
    let payload = if compressed { kiln_model::gzip::gzip(msg) } else { msg.to_vec() };
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&payload);
    out
}

struct Reply {
    status: StatusCode,
    grpc_status: Option<String>,
    grpc_message: Option<String>,
    body: Vec<u8>,
}

async fn call(app: &axum::Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let header = |n: &str| resp.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
    let (head_status, head_message) = (header("grpc-status"), header("grpc-message"));
    let collected = resp.into_body().collect().await.unwrap();
    let trailer = collected.trailers().and_then(|t| t.get("grpc-status")).map(|v| v.to_str().unwrap().to_owned());
    Reply {
        status,
        grpc_status: trailer.or(head_status),
        grpc_message: head_message,
        body: collected.to_bytes().to_vec(),
    }
}

fn push(labels: &[(&str, &str)]) -> Vec<u8> {
    use kiln_api::pb::push::*;
    PushRequest {
        series: vec![RawProfileSeries {
            labels: labels.iter().map(|(n, v)| LabelPair { name: n.to_string(), value: v.to_string() }).collect(),
            samples: vec![RawSample { raw_profile: GO_CPU.to_vec(), id: String::new() }],
        }],
    }
    .encode_to_vec()
}

#[tokio::test]
async fn push_over_grpc_answers_a_framed_message_and_status_zero() {
    let (app, rec) = app();
    for compressed in [false, true] {
        let req = Request::post("/push.v1.PusherService/Push")
            .header("content-type", "application/grpc")
            .header("grpc-encoding", "gzip")
            .body(Body::from(framed(&push(&[("__name__", "process_cpu"), ("service_name", "g")]), compressed)))
            .unwrap();
        let r = call(&app, req).await;
        assert_eq!((r.status, r.grpc_status.as_deref()), (StatusCode::OK, Some("0")));
        assert_eq!(r.body, [0, 0, 0, 0, 0], "one empty PushResponse message");
    }
    assert_eq!(rec.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn grpc_errors_are_trailers_only_with_a_status_code_and_message() {
    let (app, rec) = app();
    let req = Request::post("/push.v1.PusherService/Push")
        .header("content-type", "application/grpc")
        .body(Body::from(framed(&push(&[("service_name", "no-name")]), false)))
        .unwrap();
    let r = call(&app, req).await;
    assert_eq!((r.status, r.grpc_status.as_deref()), (StatusCode::OK, Some("3")));
    assert!(r.grpc_message.unwrap().contains("__name__"));
    let truncated = Request::post("/push.v1.PusherService/Push")
        .header("content-type", "application/grpc")
        .body(Body::from(vec![0, 0, 0, 9]))
        .unwrap();
    assert_eq!(call(&app, truncated).await.grpc_status.as_deref(), Some("3"));
    assert!(rec.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn otlp_protobuf_json_and_grpc_store_the_same_series() {
    let (app, rec) = app();
    let requests = [
        Request::post("/v1development/profiles")
            .header("content-type", "application/x-protobuf")
            .body(Body::from(OTLP_PB))
            .unwrap(),
        Request::post("/v1development/profiles")
            .header("content-type", "application/json")
            .body(Body::from(OTLP_JSON))
            .unwrap(),
        Request::post("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export")
            .header("content-type", "application/grpc")
            .body(Body::from(framed(OTLP_PB, false)))
            .unwrap(),
    ];
    for req in requests {
        let r = call(&app, req).await;
        assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    }
    let stored = rec.0.lock().unwrap();
    let labels: Vec<Vec<(String, String)>> =
        stored.iter().flat_map(|i| i.series.iter().map(|(l, _)| l.clone())).collect();
    assert!(!labels.is_empty() && labels.len().is_multiple_of(3));
    let third = labels.len() / 3;
    assert_eq!(labels[..third], labels[third..2 * third], "protobuf and JSON agree");
    assert_eq!(labels[..third], labels[2 * third..], "HTTP and gRPC agree");
    assert!(labels[0].iter().any(|(n, v)| n == "__otel__" && v == "true"), "{:?}", labels[0]);
}

#[tokio::test]
async fn otlp_with_another_content_type_gets_415() {
    let (app, _) = app();
    let req =
        Request::post("/v1development/profiles").header("content-type", "text/plain").body(Body::from("x")).unwrap();
    let r = call(&app, req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

const OTLP_V1_9: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/otlp/profiler-v1.9.pb");

#[tokio::test]
async fn otlp_v1_9_from_the_python_profiler_is_accepted_over_http_and_grpc_declared_or_not() {
    let (app, rec) = app();
    for declared in [None, Some("1.9.0")] {
        let http = Request::post("/v1development/profiles").header("content-type", "application/x-protobuf");
        let grpc = Request::post("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export")
            .header("content-type", "application/grpc");
        let http = declared.into_iter().fold(http, |r, v| r.header("x-kiln-otlp-version", v));
        let grpc = declared.into_iter().fold(grpc, |r, v| r.header("x-kiln-otlp-version", v));
        let r = call(&app, http.body(Body::from(OTLP_V1_9)).unwrap()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
        let r = call(&app, grpc.body(Body::from(framed(OTLP_V1_9, false))).unwrap()).await;
        assert_eq!((r.status, r.grpc_status.as_deref()), (StatusCode::OK, Some("0")), "{:?}", r.grpc_message);
    }
    assert_eq!(rec.0.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn an_unknown_declared_otlp_version_gets_400_naming_the_header() {
    let (app, rec) = app();
    let req = Request::post("/v1development/profiles")
        .header("content-type", "application/x-protobuf")
        .header("x-kiln-otlp-version", "0.9")
        .body(Body::from(OTLP_PB))
        .unwrap();
    let r = call(&app, req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains(r#"x-kiln-otlp-version: unknown OTLP version \"0.9\""#), "{body}");
    assert!(rec.0.lock().unwrap().is_empty());
}
