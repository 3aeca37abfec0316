//! `POST /ingest` and `/pyroscope/ingest`: every query parameter and body
//! format of Pyroscope's legacy ingestion (reference §1.a).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kiln_model::ingest::series::prepare;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::ingest::admission::{admit, inflated_bound};
use crate::ingest::legacy_formats::{decode_plain, decode_upload, needs_form, BodyFormat, Upload};
use crate::ingest::legacy_request::LegacyRequest;
use crate::ingest::series::{ingested, store};
use crate::ingest::Ingested;
use crate::request::{content_type, read_body_inflating, tenant};
use crate::state::ApiState;

/// Room for a form's boundaries and small fields beside its profile.
const FORM_FRAMING_BYTES: usize = 64 << 10;

pub async fn ingest(
    State(state): State<ApiState>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let result = ingest_request(&state, &query, &headers, body).await;
    state.metrics.observe("ingest", started.elapsed());
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            state.metrics.rejected(&e.reason);
            e.into_response()
        }
    }
}

async fn ingest_request(
    state: &ApiState,
    query: &[(String, String)],
    headers: &HeaderMap,
    body: Body,
) -> Result<(), ApiError> {
    let tenant = tenant(headers)?;
    let req = LegacyRequest::parse(query, state.now())?;
    let raw_ct = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let format = BodyFormat::select(req.format.as_deref(), &content_type(headers));
    // One profile (a JFR recording may inflate further), or a form of one.
    let inflated = match format {
        BodyFormat::Jfr => state.body_limit,
        _ => state.decode_limit().saturating_add(FORM_FRAMING_BYTES),
    };
    let bytes = read_body_inflating(headers, body, state.body_limit, inflated).await?;
    let body_len = bytes.len() as u64;
    let form = needs_form(format, &raw_ct);
    let bound = if form { state.decode_limit() } else { inflated_bound(state, &bytes) };
    let decoding = admit(state, &tenant, bytes.len(), bound).await?;
    let state2 = state.clone();
    // Decoding and preparing are CPU work: off the runtime's threads. A
    // multipart form is read as a stream first.
    let profiles = if form {
        let uploads = decode_upload(state, &req, format, &raw_ct, bytes).await?;
        blocking(move || prepared(&state2, uploads)).await?
    } else {
        blocking(move || prepared(&state2, decode_plain(&state2, &req, format, &bytes)?)).await?
    };
    // Decoding is over: the budget covers its peak, not the profiles waiting
    // for their segment to be durable.
    drop(decoding);
    store(state, &tenant, format.name(), profiles, body_len).await
}

/// The profiles to store for decoded uploads.
fn prepared(state: &ApiState, uploads: Vec<Upload>) -> Result<Vec<Ingested>, ApiError> {
    let now = state.now();
    let mut profiles = Vec::new();
    for u in uploads {
        let push = prepare(&u.labels, u.profile, u.size, now, &state.limits)?;
        profiles.extend(ingested(state, push, uuid::Uuid::new_v4().as_u128()));
    }
    Ok(profiles)
}
