//! OpenTelemetry profiles (`v1development`): `POST /v1development/profiles`
//! (protobuf or JSON, gzip allowed) and the gRPC `ProfilesService/Export`
//! (reference §1.c). The opentelemetry-proto layout (v1.9.0 or v1.10.0)
//! may be declared in `X-Kiln-OTLP-Version`; otherwise the samples show it.

use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use kiln_model::gzip::MAX_DECOMPRESSED_BYTES;
use kiln_model::ingest::series::prepare;
use kiln_model::otlp::{self, OtlpVersion, VERSION_HEADER};

use crate::connect::grpc;
use crate::error::{ApiError, ApiErrorKind};
use crate::ingest::push::respond;
use crate::ingest::series::{ingested, store};
use crate::request::{content_type, read_body, tenant};
use crate::state::ApiState;

pub async fn export(State(state): State<ApiState>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let ct = content_type(&headers);
    let result = export_request(&state, &headers, body).await;
    state.metrics.observe("otlp", started.elapsed());
    if let Err(e) = &result {
        state.metrics.rejected(&e.reason);
    }
    match result {
        // OTLP over HTTP answers errors with plain HTTP statuses (415, 400, ...).
        Err(e) if !grpc::is_grpc(&ct) => e.into_response(),
        // ExportProfilesServiceResponse with no partial_success is empty.
        result => respond(&ct, result, &[]),
    }
}

async fn export_request(state: &ApiState, headers: &HeaderMap, body: Body) -> Result<(), ApiError> {
    let tenant = tenant(headers)?;
    let ct = content_type(headers);
    let bytes = read_body(headers, body, state.body_limit).await?;
    let now = state.now();
    let version = declared_version(headers)?;
    let decode = |b: &[u8]| otlp::decode_request_as(b, now, MAX_DECOMPRESSED_BYTES, version);
    let decoded = match ct.as_str() {
        c if grpc::is_grpc(c) => decode(&grpc::unframe(headers, &bytes, state.body_limit)?)?,
        "application/x-protobuf" | "application/protobuf" => decode(&bytes)?,
        "application/json" => otlp::decode_request_json(&bytes, now)?,
        other => {
            return Err(ApiError::new(
                ApiErrorKind::UnsupportedMediaType,
                "content_type",
                format!("unsupported content type {other:?}: use application/x-protobuf or application/json"),
            ))
        }
    };
    let mut profiles = Vec::new();
    for p in decoded {
        let push = prepare(&p.labels, p.profile, bytes.len(), now, &state.limits)?;
        profiles.extend(ingested(push, uuid::Uuid::new_v4().as_u128()));
    }
    store(state, &tenant, "otlp", profiles, bytes.len() as u64).await
}

/// The OTLP layout the client declares in `X-Kiln-OTLP-Version` (HTTP
/// header or gRPC metadata), if any.
fn declared_version(headers: &HeaderMap) -> Result<Option<OtlpVersion>, ApiError> {
    let Some(value) = headers.get(VERSION_HEADER) else { return Ok(None) };
    let bad = |m: String| ApiError::new(ApiErrorKind::InvalidArgument, "otlp_version", m);
    let text = value.to_str().map_err(|_| bad(format!("{VERSION_HEADER} is not ASCII")))?;
    text.parse().map(Some).map_err(|m: String| bad(format!("{VERSION_HEADER}: {m}")))
}
