//! gRPC on the same port (HTTP/2 without TLS): length-prefixed messages in,
//! one message and `grpc-status` trailers out. Errors are trailers-only
//! responses carrying the status code and message.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::Frame;
use http_body_util::StreamBody;

use crate::error::{ApiError, ApiErrorKind};

/// True for `application/grpc` and `application/grpc+proto`.
pub fn is_grpc(content_type: &str) -> bool {
    content_type == "application/grpc" || content_type == "application/grpc+proto"
}

/// The one message of a unary request body; gzip when the message is
/// flagged compressed and `grpc-encoding: gzip`.
pub fn unframe(headers: &HeaderMap, body: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let bad = |m: &str| ApiError::invalid("grpc_frame", m);
    if body.len() < 5 {
        return Err(bad("gRPC body shorter than its 5-byte message prefix"));
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let msg = body.get(5..5 + len).ok_or_else(|| bad("gRPC message length runs past the body"))?;
    match body[0] {
        0 => Ok(msg.to_vec()),
        1 => {
            let enc = headers.get("grpc-encoding").and_then(|v| v.to_str().ok()).unwrap_or("");
            if enc != "gzip" {
                return Err(bad("compressed gRPC message without grpc-encoding: gzip"));
            }
            Ok(kiln_model::gzip::gunzip("grpc message", msg, limit)?)
        }
        _ => Err(bad("unknown gRPC compression flag")),
    }
}

fn frame(msg: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(msg.len() + 5);
    out.push(0);
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    Bytes::from(out)
}

/// A successful unary response: the message, then `grpc-status: 0`.
pub fn ok(msg: &[u8]) -> Response {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let frames = vec![Ok::<_, Infallible>(Frame::data(frame(msg))), Ok(Frame::trailers(trailers))];
    let body = Body::new(StreamBody::new(futures::stream::iter(frames)));
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/grpc")], body).into_response()
}

/// The gRPC status code of an error.
fn code(e: &ApiError) -> &'static str {
    match e.kind {
        ApiErrorKind::InvalidArgument | ApiErrorKind::Rejected | ApiErrorKind::UnsupportedMediaType => "3",
        ApiErrorKind::BodyRead => "4",
        ApiErrorKind::NotFound => "5",
        ApiErrorKind::PermissionDenied => "7",
        ApiErrorKind::Unauthenticated => "16",
        ApiErrorKind::TooLarge | ApiErrorKind::Throttled { .. } => "8",
        ApiErrorKind::Internal => "13",
        ApiErrorKind::Unavailable => "14",
    }
}

/// A trailers-only error response.
pub fn error(e: &ApiError) -> Response {
    let message: String =
        e.message
            .bytes()
            .map(|b| {
                if b.is_ascii_graphic() && b != b'%' || b == b' ' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert("grpc-status", HeaderValue::from_static(code(e)));
    if let Ok(v) = HeaderValue::from_str(&message) {
        headers.insert("grpc-message", v);
    }
    crate::error::with_retry_after(e, (StatusCode::OK, headers).into_response())
}
