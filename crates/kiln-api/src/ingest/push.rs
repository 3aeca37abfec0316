//! `POST /push.v1.PusherService/Push` over Connect: `application/proto`
//! or `application/json`, gzip allowed (reference §1.b).

use std::mem::size_of;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kiln_model::ingest::series::prepare;
use kiln_model::pprof;
use kiln_model::wire_bound::{self, Cost, Shape};
use prost::Message;
use serde::Deserialize;

use crate::blocking::blocking;
use crate::connect::grpc;
use crate::error::{ApiError, ApiErrorKind, ConnectError};
use crate::ingest::admission::{admit, inflate};
use crate::ingest::series::{ingested, store};
use crate::ingest::Ingested;
use crate::pb;
use crate::request::{content_type, profile_id, read_body, tenant};
use crate::state::ApiState;

/// Serves Connect (proto or JSON) and gRPC on the same path.
pub async fn push(State(state): State<ApiState>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let ct = content_type(&headers);
    let result = push_request(&state, &headers, body).await;
    state.metrics.observe("push", started.elapsed());
    if let Err(e) = &result {
        state.metrics.rejected(&e.reason);
    }
    respond(&ct, result, &pb::push::PushResponse {}.encode_to_vec())
}

/// The response in the request's protocol: gRPC, Connect JSON or proto.
pub fn respond(ct: &str, result: Result<(), ApiError>, empty_proto: &[u8]) -> Response {
    match result {
        Ok(()) if grpc::is_grpc(ct) => grpc::ok(empty_proto),
        Ok(()) if ct == "application/json" => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{}").into_response()
        }
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/proto")], empty_proto.to_vec()).into_response(),
        Err(e) if grpc::is_grpc(ct) => grpc::error(&e),
        Err(e) => ConnectError(e).into_response(),
    }
}

async fn push_request(state: &ApiState, headers: &HeaderMap, body: Body) -> Result<(), ApiError> {
    let tenant = tenant(headers)?;
    let ct = content_type(headers);
    // gRPC compresses per message (grpc-encoding), not the whole body.
    let bytes = read_body(headers, body, state.body_limit).await?;
    let body_len = bytes.len() as u64;
    // The request, and one raw profile inflating at a time beside it.
    let inflated = bytes.len().saturating_add(state.decode_limit());
    let decoding = admit(state, &tenant, bytes.len(), inflated).await?;
    let (state2, headers) = (state.clone(), headers.clone());
    // Decoding and preparing are CPU work: off the runtime's threads.
    let profiles = blocking(move || {
        let request = match ct.as_str() {
            c if grpc::is_grpc(c) => decode_proto(&grpc::unframe(&headers, &bytes, state2.body_limit)?)?,
            "application/proto" | "application/protobuf" | "application/x-protobuf" => decode_proto(&bytes)?,
            "application/json" => from_json(&bytes)?,
            other => {
                return Err(ApiError::new(
                    ApiErrorKind::UnsupportedMediaType,
                    "content_type",
                    format!("unsupported content type {other:?}: use application/proto, application/json or gRPC"),
                ))
            }
        };
        prepare_request(&state2, request)
    })
    .await?;
    // Decoding is over: the budget covers its peak, not the profiles waiting
    // for their segment to be durable.
    drop(decoding);
    store(state, &tenant, "push", profiles, body_len).await
}

/// The allocating fields of `PushRequest`, for [`wire_bound::check`].
static PUSH_REQUEST: Shape = Shape(&[(1, Cost::Message(size_of::<pb::push::RawProfileSeries>(), &SERIES))]);
static SERIES: Shape = Shape(&[
    (1, Cost::Message(size_of::<pb::push::LabelPair>(), &STRINGS)),
    (2, Cost::Message(size_of::<pb::push::RawSample>(), &STRINGS)),
]);
static STRINGS: Shape = Shape(&[(1, Cost::Bytes(0)), (2, Cost::Bytes(0))]);

fn decode_proto(bytes: &[u8]) -> Result<pb::push::PushRequest, ApiError> {
    wire_bound::check("push_request", bytes, &PUSH_REQUEST)?;
    pb::push::PushRequest::decode(bytes)
        .map_err(|e| ApiError::invalid("push_request", format!("PushRequest is not valid protobuf: {e}")))
}

/// Decodes and normalises every sample of every series; one bad profile
/// refuses the whole request, so nothing of it is stored.
fn prepare_request(state: &ApiState, request: pb::push::PushRequest) -> Result<Vec<Ingested>, ApiError> {
    let now = state.now();
    let mut out = Vec::new();
    for (i, series) in request.series.into_iter().enumerate() {
        let labels: Vec<(String, String)> = series.labels.into_iter().map(|l| (l.name, l.value)).collect();
        for (j, sample) in series.samples.into_iter().enumerate() {
            let at = |e: kiln_model::Error| ApiError::from(e).with_context(&format!("series {i} sample {j}"));
            let raw = inflate("pprof", &sample.raw_profile, state.decode_limit())
                .map_err(|e| e.with_context(&format!("series {i} sample {j}")))?;
            let size = raw.len();
            let profile = pprof::decode_with_limit(&raw, state.decode_limit()).map_err(at)?;
            let push = prepare(&labels, profile, size, now, &state.limits)?;
            out.extend(ingested(state, push, profile_id(&sample.id)));
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct JsonPush {
    #[serde(default)]
    series: Vec<JsonSeries>,
}

#[derive(Deserialize)]
struct JsonSeries {
    #[serde(default)]
    labels: Vec<JsonLabel>,
    #[serde(default)]
    samples: Vec<JsonSample>,
}

#[derive(Deserialize)]
struct JsonLabel {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct JsonSample {
    #[serde(default, rename = "rawProfile", alias = "raw_profile")]
    raw_profile: String,
    #[serde(default, rename = "ID", alias = "id")]
    id: String,
}

/// Protojson of a `PushRequest`: lowerCamel or proto names, bytes as
/// standard or URL-safe base64.
fn from_json(bytes: &[u8]) -> Result<pb::push::PushRequest, ApiError> {
    let req: JsonPush = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("push_request", format!("PushRequest JSON at line {}: {e}", e.line())))?;
    let series = req
        .series
        .into_iter()
        .map(|s| {
            let samples = s
                .samples
                .into_iter()
                .map(|x| Ok(pb::push::RawSample { raw_profile: base64_decode(&x.raw_profile)?, id: x.id }))
                .collect::<Result<Vec<_>, ApiError>>()?;
            let labels = s.labels.into_iter().map(|l| pb::push::LabelPair { name: l.name, value: l.value }).collect();
            Ok(pb::push::RawProfileSeries { labels, samples })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(pb::push::PushRequest { series })
}

fn base64_decode(s: &str) -> Result<Vec<u8>, ApiError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let s = s.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s).ok())
        .ok_or_else(|| ApiError::invalid("push_request", "rawProfile is not base64"))
}
