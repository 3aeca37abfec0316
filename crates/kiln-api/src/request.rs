//! Request plumbing shared by the write routes: the tenant, the body read
//! within its limit, and `Content-Encoding: gzip`.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use http_body_util::BodyExt;
use kiln_model::gzip;

use crate::error::{ApiError, ApiErrorKind};

/// The tenant header; `anonymous` when absent, as Pyroscope does without
/// multitenancy.
pub const TENANT_HEADER: &str = "x-scope-orgid";
pub const DEFAULT_TENANT: &str = "anonymous";

pub fn tenant(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(v) = headers.get(TENANT_HEADER) else { return Ok(DEFAULT_TENANT.to_owned()) };
    let t = v.to_str().map_err(|_| ApiError::invalid("invalid_tenant", "X-Scope-OrgID is not valid text"))?.trim();
    valid_tenant(t).map_err(|why| ApiError::invalid("invalid_tenant", format!("X-Scope-OrgID {why}")))?;
    Ok(t.to_owned())
}

/// Longest tenant id, as Pyroscope (Cortex's `tenant.ValidTenantID`).
pub const MAX_TENANT_LENGTH: usize = 150;

/// Pyroscope's tenant ids: 1 to 150 bytes of ASCII letters, digits and
/// `!-_.*'()`, and neither `.` nor `..`. The error says why not.
pub fn valid_tenant(t: &str) -> Result<(), String> {
    if let Some((i, c)) = t.char_indices().find(|&(_, c)| !(c.is_ascii_alphanumeric() || "!-_.*'()".contains(c))) {
        return Err(format!(
            "contains {c:?} at byte {i}: a tenant id is ASCII letters, digits and the characters !-_.*'()"
        ));
    }
    if t.is_empty() || t.len() > MAX_TENANT_LENGTH {
        return Err(format!("is {} bytes long: a tenant id is 1 to {MAX_TENANT_LENGTH} bytes", t.len()));
    }
    if t == "." || t == ".." {
        return Err(format!("is {t:?}, which is not a valid tenant id"));
    }
    Ok(())
}

/// Reads the whole body, refusing more than `limit` bytes, and undoes a
/// `Content-Encoding: gzip` within the same limit.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    read_body_inflating(headers, body, limit, limit).await
}

/// [`read_body`], undoing `Content-Encoding: gzip` within `inflated`
/// bytes (a body that is one profile need not inflate past the profile
/// size limit).
pub async fn read_body_inflating(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    inflated: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ApiErrorKind::TooLarge,
            "body_size_limit_exceeded",
            format!("request body over the limit of {limit} bytes"),
        )
    };
    let limited = http_body_util::Limited::new(body, limit);
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(e) => {
            return Err(ApiError::new(ApiErrorKind::BodyRead, "body_read", format!("reading the request body: {e}")))
        }
    };
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gzipped {
        return Ok(bytes);
    }
    Ok(Bytes::from(gzip::gunzip("request body", &bytes, inflated)?))
}

/// The media type of a request, lower case, without parameters.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A profile id from a client's UUID string, or a fresh one.
pub fn profile_id(id: &str) -> u128 {
    uuid::Uuid::parse_str(id).map(|u| u.as_u128()).unwrap_or_else(|_| uuid::Uuid::new_v4().as_u128())
}
