//! Serving one method of a Connect service: the request read in its codec
//! (Connect proto or JSON, gRPC), handed to the backend as binary protobuf,
//! the answer written back in the same codec (protojson on the blocking
//! pool); `unimplemented` for what
//! Kiln does not offer. Shared by the querier and the adhoc service.

use std::future::Future;
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prost_reflect::MethodDescriptor;

use super::grpc;
use super::protojson::{json_to_proto, pool, proto_to_json};
use crate::blocking::blocking;
use crate::error::{ApiError, ApiErrorKind, ConnectError};
use crate::request::{content_type, read_body};
use crate::state::ApiState;

/// How a request is encoded, and so its response.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Codec {
    Proto,
    Json,
    Grpc,
}

impl Codec {
    fn of(headers: &HeaderMap) -> Result<Codec, ApiError> {
        match content_type(headers).as_str() {
            c if grpc::is_grpc(c) => Ok(Codec::Grpc),
            "application/proto" | "application/protobuf" | "application/x-protobuf" => Ok(Codec::Proto),
            "application/json" => Ok(Codec::Json),
            other => Err(ApiError::new(
                ApiErrorKind::UnsupportedMediaType,
                "content_type",
                format!("unsupported content type {other:?}: use application/proto, application/json or gRPC"),
            )),
        }
    }
}

/// Serves `method` of `service_name` (a service of the descriptor pool):
/// reads the request in whatever codec it came in, hands `call` the backend
/// and the request as binary protobuf, and answers in the request's codec,
/// timed as `<metric>/<method>`. A method the pool does not know, or a
/// missing backend, is Connect's (or gRPC's) `unimplemented`.
#[allow(clippy::too_many_arguments)]
pub async fn serve_method<S, F, Fut>(
    state: &ApiState,
    service_name: &str,
    metric: &str,
    method: &str,
    headers: &HeaderMap,
    body: Body,
    backend: Option<S>,
    call: F,
) -> Response
where
    F: FnOnce(S, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, ApiError>>,
{
    let started = Instant::now();
    let codec = match Codec::of(headers) {
        Ok(c) => c,
        Err(e) => return ConnectError(e).into_response(),
    };
    let found = pool().get_service_by_name(service_name).and_then(|s| s.methods().find(|m| m.name() == method));
    let Some(desc) = found else {
        return unimplemented_in(codec, &format!("{service_name}/{method} is not implemented by Kiln"));
    };
    let Some(backend) = backend else {
        return unimplemented_in(codec, &format!("{service_name}/{method}: this server has no {metric} service"));
    };
    let result = match request_bytes(state, &desc, codec, headers, body).await {
        Ok(request) => call(backend, request).await,
        Err(e) => Err(e),
    };
    state.metrics.observe(&format!("{metric}/{method}"), started.elapsed());
    let encoded = match result {
        Ok(response) => response_bytes(desc, codec, response).await,
        Err(e) => Err(e),
    };
    match encoded {
        Ok(bytes) => respond(codec, bytes),
        Err(e) if codec == Codec::Grpc => grpc::error(&e),
        Err(e) => ConnectError(e).into_response(),
    }
}

/// The request of a call to `desc` as binary protobuf, whatever its codec.
async fn request_bytes(
    state: &ApiState,
    desc: &MethodDescriptor,
    codec: Codec,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let bytes = read_body(headers, body, state.body_limit).await?;
    match codec {
        Codec::Grpc => grpc::unframe(headers, &bytes, state.body_limit),
        Codec::Json => json_to_proto(&desc.input(), &bytes),
        Codec::Proto => Ok(bytes.to_vec()),
    }
}

/// A binary protobuf answer of `desc` in the request's codec: protojson
/// is written on the blocking pool.
async fn response_bytes(desc: MethodDescriptor, codec: Codec, response: Vec<u8>) -> Result<Vec<u8>, ApiError> {
    match codec {
        Codec::Json => blocking(move || proto_to_json(&desc.output(), &response)).await,
        Codec::Proto | Codec::Grpc => Ok(response),
    }
}

/// A successful answer in `codec`.
fn respond(codec: Codec, bytes: Vec<u8>) -> Response {
    match codec {
        Codec::Grpc => grpc::ok(&bytes),
        Codec::Json => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Codec::Proto => (StatusCode::OK, [(header::CONTENT_TYPE, "application/proto")], bytes).into_response(),
    }
}

/// Routes of the services Profiles Drilldown probes that Kiln does not
/// offer; each answers [`unimplemented`].
pub const UNOFFERED: [&str; 4] = [
    "/settings.v1.SettingsService/{method}",
    "/settings.v1.RecordingRulesService/{method}",
    "/vcs.v1.VCSService/{method}",
    "/capabilities.v1.FeatureFlagsService/{method}",
];

/// Any method of a service Kiln does not offer
/// (`settings.v1.SettingsService`, `vcs.v1.VCSService`, ...).
pub async fn unimplemented(uri: Uri, headers: HeaderMap) -> Response {
    let codec = Codec::of(&headers).unwrap_or(Codec::Json);
    unimplemented_in(codec, &format!("{} is not implemented by Kiln", uri.path().trim_start_matches('/')))
}

/// Connect's `unimplemented` (HTTP 501 and a JSON error body), or gRPC
/// status 12.
fn unimplemented_in(codec: Codec, message: &str) -> Response {
    if codec == Codec::Grpc {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from_static("12"));
        if let Ok(v) = HeaderValue::from_str(message) {
            headers.insert("grpc-message", v);
        }
        return (StatusCode::OK, headers).into_response();
    }
    let body = serde_json::json!({ "code": "unimplemented", "message": message }).to_string();
    (StatusCode::NOT_IMPLEMENTED, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
