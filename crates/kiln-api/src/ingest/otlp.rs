//! OpenTelemetry profiles (`v1development`): `POST /v1development/profiles`
//! (protobuf or JSON, gzip allowed) and the gRPC `ProfilesService/Export`
//! (reference §1.c). The opentelemetry-proto layout (v1.9.0 or v1.10.0)
//! may be declared in `X-Kiln-OTLP-Version`; otherwise the samples show it.

use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use kiln_model::ingest::series::prepare;
use kiln_model::otlp::{self, OtlpProfile, OtlpVersion, VERSION_HEADER};

use crate::blocking::blocking;
use crate::connect::grpc;
use crate::error::{ApiError, ApiErrorKind};
use crate::ingest::admission::{admit, inflate, inflated_bound};
use crate::ingest::push::respond;
use crate::ingest::series::{ingested, store};
use crate::ingest::Ingested;
use crate::request::{content_type, read_body_inflating, tenant};
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
    let bytes = read_body_inflating(headers, body, state.body_limit, state.decode_limit()).await?;
    let body_len = bytes.len();
    let decoding = admit(state, &tenant, body_len, inflated_bound(state, &bytes)).await?;
    let version = declared_version(headers)?;
    let (state2, headers) = (state.clone(), headers.clone());
    // Decoding and preparing are CPU work: off the runtime's threads.
    let profiles =
        blocking(move || prepared(&state2, decoded(&state2, &headers, &ct, &bytes, version)?, body_len)).await?;
    // Decoding is over: the budget covers its peak, not the profiles waiting
    // for their segment to be durable.
    drop(decoding);
    store(state, &tenant, "otlp", profiles, body_len as u64).await
}

/// The request's profiles, inflated within the profile size limit.
fn decoded(
    state: &ApiState,
    headers: &HeaderMap,
    ct: &str,
    bytes: &[u8],
    version: Option<OtlpVersion>,
) -> Result<Vec<OtlpProfile>, ApiError> {
    let (now, limit) = (state.now(), state.decode_limit());
    let inflated = |b| inflate("otlp", b, limit);
    Ok(match ct {
        c if grpc::is_grpc(c) => {
            otlp::decode_request_as(&inflated(&grpc::unframe(headers, bytes, state.body_limit)?)?, now, limit, version)?
        }
        "application/x-protobuf" | "application/protobuf" => {
            otlp::decode_request_as(&inflated(bytes)?, now, limit, version)?
        }
        "application/json" => otlp::decode_request_json_with_limit(&inflated(bytes)?, now, limit)?,
        other => {
            return Err(ApiError::new(
                ApiErrorKind::UnsupportedMediaType,
                "content_type",
                format!("unsupported content type {other:?}: use application/x-protobuf or application/json"),
            ))
        }
    })
}

fn prepared(state: &ApiState, decoded: Vec<OtlpProfile>, body_len: usize) -> Result<Vec<Ingested>, ApiError> {
    let now = state.now();
    let mut profiles = Vec::new();
    for p in decoded {
        let push = prepare(&p.labels, p.profile, body_len, now, &state.limits)?;
        profiles.extend(ingested(state, push, uuid::Uuid::new_v4().as_u128()));
    }
    Ok(profiles)
}

/// The OTLP layout the client declares in `X-Kiln-OTLP-Version` (HTTP
/// header or gRPC metadata), if any.
fn declared_version(headers: &HeaderMap) -> Result<Option<OtlpVersion>, ApiError> {
    let Some(value) = headers.get(VERSION_HEADER) else { return Ok(None) };
    let bad = |m: String| ApiError::new(ApiErrorKind::InvalidArgument, "otlp_version", m);
    let text = value.to_str().map_err(|_| bad(format!("{VERSION_HEADER} is not ASCII")))?;
    text.parse().map(Some).map_err(|m: String| bad(format!("{VERSION_HEADER}: {m}")))
}
