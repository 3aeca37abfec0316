//! A sink's refusal reaches the client with the status its kind maps to:
//! retry later (503), too large (413), a bad request (400), our bug (500).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use kiln_api::{router, ApiState, IngestSink, Ingested, SinkError, SinkErrorKind};
use std::sync::Arc;
use tower::ServiceExt;

struct Refuses(SinkErrorKind);

impl IngestSink for Refuses {
    fn ingest<'a>(&'a self, _: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move { Err(SinkError::new(self.0, "the sink says no")) })
    }
}

async fn ingest_into(kind: SinkErrorKind) -> (StatusCode, String) {
    let mut state = ApiState::new(Arc::new(Refuses(kind)));
    (state.limits.reject_older_than_nanos, state.limits.reject_newer_than_nanos) = (0, 0);
    let req = Request::post("/ingest?name=app.cpu").header("content-type", "text/plain").body(Body::from("a;b 1"));
    let resp = router(state).oneshot(req.unwrap()).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn each_sink_error_kind_answers_its_own_status() {
    let cases = [
        (SinkErrorKind::Unavailable, StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        (SinkErrorKind::TooLarge, StatusCode::PAYLOAD_TOO_LARGE, "resource_exhausted"),
        (SinkErrorKind::InvalidArgument, StatusCode::BAD_REQUEST, "invalid_argument"),
        (SinkErrorKind::Internal, StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    ];
    for (kind, status, code) in cases {
        let (got, body) = ingest_into(kind).await;
        assert_eq!(got, status, "{kind:?}: {body}");
        assert!(body.contains(code) && body.contains("the sink says no"), "{kind:?}: {body}");
    }
}
