//! gzip for compressible answers, only when the client asked for it.
//!
//! The querier's JSON answers dominate what the web UI transfers (a 24 h
//! explore page: 881 KB of JSON out of 1,058 KB), and JSON of flame graphs
//! shrinks about tenfold. tower-http's `CompressionLayer` would encode
//! while the body is polled, on the runtime's threads; every answer here
//! is a whole buffer already, so this layer takes it and deflates it on the
//! blocking pool instead (deflating a 516 KB flame graph answer takes
//! ~15 ms: measured as 22 ms against 7 ms for the same answer sent plain).
//!
//! Compressed: JSON, text (HTML, CSS, JavaScript, SVG) with a body of at
//! least [`MIN_BYTES`] and a known length, when `Accept-Encoding` names
//! `gzip` (or `*`) with a non-zero q. Never: gRPC, protobuf, anything
//! already encoded, streamed bodies, 304s. A compressible type gets
//! `Vary: Accept-Encoding` either way, and a compressed answer's ETag is
//! made weak (its bytes are not the identity's).

use std::io::Write;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use flate2::Compression;
use http_body::Body as _;

use crate::blocking::blocking;
use crate::error::{ApiError, ApiErrorKind};

/// Smaller bodies are sent as they are: gzip's header and the round trip
/// to the blocking pool cost more than they save.
pub const MIN_BYTES: u64 = 1024;

/// The middleware: gzips the answer when the request allows it and the
/// answer is worth it.
pub(crate) async fn compress(req: Request, next: Next) -> Response {
    let wants_gzip = accepts_gzip(req.headers());
    let mut resp = next.run(req).await;
    if !compressible(resp.headers()) {
        return resp;
    }
    resp.headers_mut().append(VARY, HeaderValue::from_static("accept-encoding"));
    let size = resp.body().size_hint().exact();
    if !wants_gzip || size.is_none_or(|n| n < MIN_BYTES) {
        return resp;
    }
    gzipped(resp).await.unwrap_or_else(IntoResponse::into_response)
}

/// The answer with its body gzipped on the blocking pool.
async fn gzipped(resp: Response) -> Result<Response, ApiError> {
    let (mut parts, body) = resp.into_parts();
    let plain = to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, "server", format!("reading an answer to compress: {e}")))?;
    let packed = blocking(move || gzip(&plain)).await?;
    let h = &mut parts.headers;
    h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    h.remove(CONTENT_LENGTH);
    if let Some(weak) = h.get(ETAG).and_then(weak_etag) {
        h.insert(ETAG, weak);
    }
    Ok(Response::from_parts(parts, Body::from(packed)))
}

/// gzip at the default level (6): a 516 KB flame graph answer becomes
/// 104 KB (zlib's level 1 makes 132 KB of it); the bytes are what a
/// remote browser waits for, and the CPU is off the runtime.
fn gzip(plain: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut enc = GzEncoder::new(Vec::with_capacity(plain.len() / 8), Compression::default());
    enc.write_all(plain)
        .and_then(|()| enc.finish())
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, "server", format!("gzip of an answer failed: {e}")))
}

/// Whether `Accept-Encoding` names gzip (or `*`) without `q=0`.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let named = coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") || coding == "*";
        named
            && parts.all(|p| p.trim().strip_prefix("q=").is_none_or(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0)))
    })
}

/// JSON and text answers not already encoded; never gRPC or protobuf.
fn compressible(headers: &HeaderMap) -> bool {
    if headers.contains_key(CONTENT_ENCODING) {
        return false;
    }
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(essence.as_str(), "application/json" | "application/javascript" | "image/svg+xml")
}

/// `"x"` as `W/"x"`; a weak tag stays as it is.
fn weak_etag(tag: &HeaderValue) -> Option<HeaderValue> {
    let s = tag.to_str().ok()?;
    if s.starts_with("W/") {
        return None;
    }
    HeaderValue::from_str(&format!("W/{s}")).ok()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::{header, Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use flate2::read::GzDecoder;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// A 4 KB body of the given type (and encoding) on `/{name}`, a small JSON on `/small`.
    fn app() -> Router {
        let big = || "{\"names\":[\"main\",\"work\"]}".repeat(160);
        let typed = move |ct: &'static str, enc: Option<&'static str>| {
            get(move || async move {
                let mut resp = ([(header::CONTENT_TYPE, ct), (header::ETAG, "\"abc\"")], big()).into_response();
                if let Some(enc) = enc {
                    resp.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static(enc));
                }
                resp
            })
        };
        Router::new()
            .route("/json", typed("application/json", None))
            .route("/js", typed("text/javascript; charset=utf-8", None))
            .route("/grpc", typed("application/grpc", None))
            .route("/grpc-json", typed("application/grpc+json", None))
            .route("/proto", typed("application/proto", None))
            .route("/encoded", typed("application/json", Some("br")))
            .route("/small", get(|| async { ([(header::CONTENT_TYPE, "application/json")], "{}") }))
            .layer(axum::middleware::from_fn(compress))
    }

    async fn fetch(path: &str, accept: Option<&str>) -> (HeaderMap, Vec<u8>) {
        let mut req = Request::get(path);
        if let Some(a) = accept {
            req = req.header(ACCEPT_ENCODING, a);
        }
        let resp = app().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let (parts, body) = resp.into_parts();
        (parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    }

    #[tokio::test]
    async fn json_and_javascript_are_gzipped_when_asked_and_decode_to_the_same_bytes() {
        for path in ["/json", "/js"] {
            let (_, plain) = fetch(path, None).await;
            let (h, packed) = fetch(path, Some("br, gzip, deflate")).await;
            assert_eq!(h[CONTENT_ENCODING], "gzip", "{path}");
            assert_eq!(h[ETAG], "W/\"abc\"", "{path}");
            assert_eq!(h[VARY], "accept-encoding", "{path}");
            assert!(packed.len() < plain.len() / 4, "{path}: {} of {}", packed.len(), plain.len());
            assert_eq!(gunzip(&packed), plain, "{path}");
        }
    }

    #[tokio::test]
    async fn without_accept_encoding_or_with_gzip_refused_the_answer_is_plain() {
        for accept in [None, Some("identity"), Some("gzip;q=0"), Some("br")] {
            let (h, body) = fetch("/json", accept).await;
            assert!(!h.contains_key(CONTENT_ENCODING), "{accept:?}");
            assert_eq!((h[ETAG].to_str().unwrap(), h[VARY].to_str().unwrap()), ("\"abc\"", "accept-encoding"));
            assert!(body.starts_with(b"{\"names\""), "{accept:?}");
        }
    }

    #[tokio::test]
    async fn grpc_protobuf_encoded_and_small_answers_are_never_compressed() {
        for path in ["/grpc", "/grpc-json", "/proto", "/encoded", "/small"] {
            let (h, body) = fetch(path, Some("gzip, *")).await;
            assert_ne!(h.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
            assert!(body.starts_with(b"{"), "{path}");
        }
    }

    #[test]
    fn accept_encoding_is_read_with_its_q_values() {
        let with = |v: &'static str| HeaderMap::from_iter([(ACCEPT_ENCODING, HeaderValue::from_static(v))]);
        assert!(accepts_gzip(&with("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&with("GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("deflate, br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
