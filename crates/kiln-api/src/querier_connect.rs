//! `POST /querier.v1.QuerierService/<Method>` over Connect (binary
//! `application/proto` and `application/json`) and gRPC, and Connect's
//! `unimplemented` for the services Profiles Drilldown probes that Kiln
//! does not offer. The Connect plumbing here is shared with
//! `adhoc_connect.rs`.

use std::future::Future;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prost::Message;
use prost_reflect::MethodDescriptor;

use crate::error::{ApiError, ApiErrorKind, ConnectError};
use crate::grpc;
use crate::protojson::{json_to_proto, pool, proto_to_json};
use crate::querier::{Answer, QueryService};
use crate::request::{content_type, read_body, tenant};
use crate::state::ApiState;

const SERVICE: &str = "querier.v1.QuerierService";

/// How a request is encoded, and so its response.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Proto,
    Json,
    Grpc,
}

impl Codec {
    pub(crate) fn of(headers: &HeaderMap) -> Result<Codec, ApiError> {
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

/// Serves one querier method in the request's protocol.
pub async fn serve(
    State(state): State<ApiState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (service, name, h) = (state.query.clone(), method.as_str(), &headers);
    let call = move |service: std::sync::Arc<dyn QueryService>, request: Vec<u8>| async move {
        dispatch(service.as_ref(), &tenant(h)?, name, &request).await
    };
    serve_method(&state, SERVICE, "querier", &method, &headers, body, service, call).await
}

/// Serves `method` of `service_name` (a service of the descriptor pool):
/// reads the request in whatever codec it came in, hands `call` the backend
/// and the request as binary protobuf, and answers in the request's codec,
/// timed as `<metric>/<method>`. A method the pool does not know, or a
/// missing backend, is Connect's (or gRPC's) `unimplemented`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn serve_method<S, F, Fut>(
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
    match result.and_then(|response| response_bytes(&desc, codec, response)) {
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

/// A binary protobuf answer of `desc` in the request's codec.
fn response_bytes(desc: &MethodDescriptor, codec: Codec, response: Vec<u8>) -> Result<Vec<u8>, ApiError> {
    match codec {
        Codec::Json => proto_to_json(&desc.output(), &response),
        Codec::Proto | Codec::Grpc => Ok(response),
    }
}

/// Decodes the request of `method`, calls the service, encodes its answer.
async fn dispatch(s: &dyn QueryService, tenant: &str, method: &str, req: &[u8]) -> Result<Vec<u8>, ApiError> {
    match method {
        "ProfileTypes" => call(req, |r| s.profile_types(tenant, r)).await,
        "LabelNames" => call(req, |r| s.label_names(tenant, r)).await,
        "LabelValues" => call(req, |r| s.label_values(tenant, r)).await,
        "Series" => call(req, |r| s.series(tenant, r)).await,
        "SelectMergeStacktraces" => call(req, |r| s.select_merge_stacktraces(tenant, r)).await,
        "SelectMergeSpanProfile" => call(req, |r| s.select_merge_span_profile(tenant, r)).await,
        "SelectMergeProfile" => call(req, |r| s.select_merge_profile(tenant, r)).await,
        "SelectSeries" => call(req, |r| s.select_series(tenant, r)).await,
        "SelectHeatmap" => call(req, |r| s.select_heatmap(tenant, r)).await,
        "Diff" => call(req, |r| s.diff(tenant, r)).await,
        "GetProfileStats" => call(req, |r| s.get_profile_stats(tenant, r)).await,
        "AnalyzeQuery" => call(req, |r| s.analyze_query(tenant, r)).await,
        other => Err(ApiError::new(ApiErrorKind::Internal, "querier", format!("{other} has no handler"))),
    }
}

fn call<'a, Req, Resp>(
    bytes: &[u8],
    f: impl FnOnce(Req) -> Answer<'a, Resp>,
) -> impl Future<Output = Result<Vec<u8>, ApiError>> + 'a
where
    Req: Message + Default,
    Resp: Message + 'a,
{
    let decoded = Req::decode(bytes).map_err(|e| {
        let name = std::any::type_name::<Req>().rsplit("::").next().unwrap_or("request");
        ApiError::invalid("querier_request", format!("{name} is not valid protobuf: {e}"))
    });
    let pending = decoded.map(f);
    async move { Ok(pending?.await?.encode_to_vec()) }
}

/// A successful answer in `codec`.
pub(crate) fn respond(codec: Codec, bytes: Vec<u8>) -> Response {
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
pub(crate) fn unimplemented_in(codec: Codec, message: &str) -> Response {
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
