//! Issue 15 regressions through `router(state)`: tenant ids as Pyroscope
//! allows them, each tenant's ingestion rate, the server's decode budget,
//! and amplification bodies on every ingest route answered 4xx.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::pb::push::{PushRequest, RawProfileSeries, RawSample};
use kiln_api::{router, ApiState, DecodeBudget, IngestRate, IngestSink, Ingested, SinkError};
use kiln_model::gzip::gzip;
use prost::Message;
use tower::ServiceExt;

#[derive(Default)]
struct Tenants(Mutex<Vec<String>>);

impl IngestSink for Tenants {
    fn ingest<'a>(&'a self, tenant: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        self.0.lock().unwrap().push(tenant.to_owned());
        Box::pin(async { Ok(()) })
    }
}

fn state() -> (ApiState, Arc<Tenants>) {
    let sink = Arc::new(Tenants::default());
    (ApiState::new(sink.clone()), sink)
}

fn folded(tenant: &str, body: &'static str) -> Request<Body> {
    Request::post("/ingest?name=app.cpu").header("x-scope-orgid", tenant).body(Body::from(body)).unwrap()
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Option<String>, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_tenant_of_52_punctuation_characters_gets_a_400_that_says_why() {
    let (state, sink) = state();
    let app = router(state);
    let punctuation = "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~".repeat(2)[..52].to_owned();
    let (s, _, b) = send(&app, folded(&punctuation, "a;b 1\n")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.contains("X-Scope-OrgID contains") && b.contains("at byte 1: a tenant id is ASCII letters"), "{b}");
    for bad in [".", "..", &"a".repeat(151), "tenant/a", "é"] {
        let (s, _, b) = send(&app, folded(bad, "a;b 1\n")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let allowed = "Team_a-1.(prod)!*'";
    assert_eq!(send(&app, folded(allowed, "a;b 1\n")).await.0, StatusCode::OK);
    assert_eq!(*sink.0.lock().unwrap(), vec![allowed.to_owned()]);
}

#[tokio::test]
async fn a_tenant_over_its_ingestion_rate_gets_429_with_retry_after() {
    let (mut state, _) = state();
    state.ingest_rate = Arc::new(IngestRate::new(10, 12));
    let app = router(state);
    assert_eq!(send(&app, folded("a", "a;b 1\n")).await.0, StatusCode::OK);
    assert_eq!(send(&app, folded("a", "a;b 1\n")).await.0, StatusCode::OK);
    let (s, retry, b) = send(&app, folded("a", "a;b 1\n")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(b.contains("ingestion_rate_bytes (10 bytes/s, ingestion_burst_bytes 12)"), "{b}");
    assert_eq!(send(&app, folded("b", "a;b 1\n")).await.0, StatusCode::OK, "other tenants have their own bucket");
}

#[tokio::test]
async fn a_spent_decode_budget_answers_429_with_retry_after() {
    let (mut state, _) = state();
    state.decode_budget = DecodeBudget::new(64 << 10, Duration::from_millis(50));
    let held = state.decode_budget.reserve(64 << 10).await.unwrap();
    let app = router(state);
    let (s, retry, b) = send(&app, folded("a", "a;b 1\n")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(b.contains("decode_budget_bytes"), "{b}");
    drop(held);
    assert_eq!(send(&app, folded("a", "a;b 1\n")).await.0, StatusCode::OK);
}

/// A sink whose writes wait until the test lets them through, as a store
/// waits for its segment to be durable.
struct Slow(tokio::sync::Semaphore);

impl IngestSink for Slow {
    fn ingest<'a>(&'a self, _: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            self.0.acquire().await.unwrap().forget();
            Ok(())
        })
    }
}

/// Regression: each request held its decode reservation until its profiles
/// were durable, so under the 10-minute load (200 profiles/s) ingestion
/// queued behind the budget and held only 137/s at a p50 of 720 ms.
#[tokio::test]
async fn the_decode_budget_is_returned_before_the_store_is_awaited() {
    let sink = Arc::new(Slow(tokio::sync::Semaphore::new(0)));
    let mut state = ApiState::new(sink.clone());
    // Room for one folded body's decode at a time.
    state.decode_budget = DecodeBudget::new(1024, Duration::from_millis(200));
    let app = router(state);
    let first = tokio::spawn({
        let app = app.clone();
        async move { send(&app, folded("a", "a;b 1\n")).await.0 }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = tokio::spawn({
        let app = app.clone();
        async move { send(&app, folded("a", "a;c 1\n")).await.0 }
    });
    // The second is decoded while the first waits for the store, and only
    // then waits for the store itself: no 429.
    tokio::time::sleep(Duration::from_millis(400)).await;
    sink.0.add_permits(2);
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
}

/// 16 MiB of one repeated empty field, gzipped: 16 KB on the wire.
fn bomb(pair: [u8; 2]) -> Vec<u8> {
    gzip(&pair.repeat(8 << 20))
}

#[tokio::test]
async fn amplification_bodies_on_every_ingest_route_answer_4xx() {
    let (state, sink) = state();
    let app = router(state);
    let pprof = Request::post("/ingest?name=app&format=pprof").body(Body::from(bomb([0x12, 0x00]))).unwrap();
    let push = PushRequest {
        series: vec![RawProfileSeries {
            labels: vec![],
            samples: vec![RawSample { raw_profile: bomb([0x12, 0x00]), id: String::new() }],
        }],
    };
    let push = Request::post("/push.v1.PusherService/Push")
        .header("content-type", "application/proto")
        .body(Body::from(push.encode_to_vec()))
        .unwrap();
    let otlp = Request::post("/v1development/profiles")
        .header("content-type", "application/x-protobuf")
        .body(Body::from(bomb([0x0a, 0x00])))
        .unwrap();
    for req in [pprof, push, otlp] {
        let uri = req.uri().to_string();
        let (s, _, b) = send(&app, req).await;
        assert!(s.is_client_error(), "{uri}: {s} {b}");
        assert!(b.contains("max_profile_size_bytes"), "{uri}: {b}");
    }
    assert!(sink.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn multipart_fields_share_one_inflation_budget() {
    let (mut state, _) = state();
    state.limits.max_profile_size_bytes = 1 << 20;
    let app = router(state);
    // Two fields of 600 KiB inflated each: both fit alone, not together.
    let field = gzip(&[0x12, 0x00].repeat(300 << 10));
    let mut body = Vec::new();
    for name in ["profile", "sample_type_config"] {
        body.extend_from_slice(format!("--X\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
        body.extend_from_slice(&field);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--X--\r\n");
    let req = Request::post("/ingest?name=app")
        .header("content-type", "multipart/form-data; boundary=X")
        .body(Body::from(body))
        .unwrap();
    let (s, _, b) = send(&app, req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.contains("multipart fields") && b.contains("max_profile_size_bytes"), "{b}");
}

#[tokio::test]
async fn clamped_sample_values_are_counted_in_metrics() {
    let (state, _) = state();
    let app = router(state);
    let body = Body::from(format!("a;b {}\na;c 1\n", i64::MAX));
    let req = Request::post("/ingest?name=app.cpu").body(body).unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::OK);
    let (_, _, metrics) = send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert!(metrics.contains("kiln_clamped_sample_values_total 1\n"), "{metrics}");
}

#[tokio::test]
async fn a_tenant_past_its_series_limit_is_refused_naming_it_and_keeps_its_series() {
    let (mut state, _) = state();
    state.series_limit = Arc::new(kiln_api::SeriesLimit::new(2));
    let app = router(state);
    let named = |name: &str| {
        Request::post(format!("/ingest?name={name}.cpu"))
            .header("x-scope-orgid", "a")
            .body(Body::from("x 1\n"))
            .unwrap()
    };
    assert_eq!(send(&app, named("one")).await.0, StatusCode::OK);
    assert_eq!(send(&app, named("two")).await.0, StatusCode::OK);
    let (s, _, b) = send(&app, named("three")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.contains("max_series_per_tenant (2)"), "{b}");
    assert_eq!(send(&app, named("one")).await.0, StatusCode::OK, "an active series stays writable");
    let other = Request::post("/ingest?name=three.cpu").header("x-scope-orgid", "b").body(Body::from("x 1\n")).unwrap();
    assert_eq!(send(&app, other).await.0, StatusCode::OK, "each tenant has its own count");
}

#[tokio::test]
async fn a_content_encoding_bomb_stops_inflating_near_the_profile_size_limit() {
    let (state, sink) = state();
    let app = router(state);
    let bomb = gzip(&vec![b'a'; 16 << 20]);
    for uri in ["/ingest?name=app.cpu", "/v1development/profiles"] {
        let req = Request::post(uri)
            .header("content-encoding", "gzip")
            .header("content-type", "application/x-protobuf")
            .body(Body::from(bomb.clone()))
            .unwrap();
        let (s, _, b) = send(&app, req).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {b}");
        assert!(b.contains("exceeds the limit of"), "{uri}: {b}");
    }
    assert!(sink.0.lock().unwrap().is_empty());
}
