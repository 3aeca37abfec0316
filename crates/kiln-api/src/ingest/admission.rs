//! What an ingest body passes before it is decoded: its tenant's
//! ingestion rate and a share of the server's decode budget; and how a
//! profile is inflated, within the profile size limit as it inflates.

use std::borrow::Cow;

use kiln_model::{gzip, wire_bound, ErrorKind};

use crate::decode_budget::Reservation;
use crate::error::{ApiError, ApiErrorKind};
use crate::state::ApiState;

/// Admits a body of `tenant` whose profiles inflate to `inflated` bytes
/// at most, holding the budget for its decoding until dropped (as soon as
/// the decode is done, before the store is awaited).
pub async fn admit(state: &ApiState, tenant: &str, body_len: usize, inflated: usize) -> Result<Reservation, ApiError> {
    state.ingest_rate.admit(tenant, body_len)?;
    // The inflated bytes, and what the decoders may build from them.
    let cost = inflated.saturating_mul(1 + wire_bound::MAX_DECODED_PER_INPUT_BYTE);
    state.decode_budget.reserve(cost).await
}

/// The most a profile body can inflate to: the decode limit when it is
/// gzip, else its own length.
pub fn inflated_bound(state: &ApiState, body: &[u8]) -> usize {
    if gzip::is_gzip(body) {
        state.decode_limit()
    } else {
        body.len().min(state.decode_limit())
    }
}

/// `body` gunzipped (a gzip inside the gzip too, as clients that also
/// set `Content-Encoding` send) within `limit` bytes, counted as bytes are
/// inflated; over it is the profile size limit's refusal.
pub fn inflate<'a>(format: &'static str, body: &'a [u8], limit: usize) -> Result<Cow<'a, [u8]>, ApiError> {
    let once = gzip::maybe_gunzip(format, body, limit).map_err(|e| over_profile_size(e, limit))?;
    if !gzip::is_gzip(&once) {
        return Ok(once);
    }
    Ok(Cow::Owned(gzip::gunzip(format, &once, limit).map_err(|e| over_profile_size(e, limit))?))
}

fn over_profile_size(e: kiln_model::Error, limit: usize) -> ApiError {
    if e.kind != ErrorKind::TooLarge {
        return e.into();
    }
    ApiError::new(
        ApiErrorKind::Rejected,
        "profile_size_limit",
        format!("{}: the profile inflates past max_profile_size_bytes ({limit} bytes)", e.format),
    )
}
