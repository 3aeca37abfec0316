//! OpenTelemetry profiles (`v1development`) → Kiln profiles.
//!
//! Reads an `ExportProfilesServiceRequest` as Pyroscope accepts it (the
//! opentelemetry-proto v1.10.0 schema with the request-level
//! `ProfilesDictionary`), in protobuf or protojson, and maps it the way
//! Pyroscope's OTLP ingester does: one Kiln profile per OTLP profile and
//! sample-level `service.name`, labelled with the resource and scope
//! attributes plus `__delta__="false"` and `__otel__="true"`.
//!
//! Requests in the v1.9.0 layout (whose `Sample` fields were numbered
//! differently) are recognised or declared, and read correctly
//! ([`OtlpVersion`]). A sample may carry several values, one per timestamp:
//! each becomes one sample of the profile.
//!
//! The model reads no clock: callers pass `now_nanos`, used for profiles
//! without `time_unix_nano`.

mod attributes;
mod base64;
mod convert;
mod dictionary;
mod json;
mod layout;
mod sample;
mod shape;
mod target;
mod wire;

use prost::Message;

use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::pb::otlp as pb;
use crate::profile::Profile;

pub use layout::{OtlpVersion, VERSION_HEADER};

pub(crate) const FORMAT: &str = "otlp";

/// Duration given to profiles that carry none: 10 s, as Pyroscope does.
pub const DEFAULT_DURATION_NANOS: i64 = 10_000_000_000;

/// Frames (stack entries summed over all samples) one request may expand to,
/// per byte of decompressed input. Samples share stacks by index, so without
/// this bound a small request could ask for a huge profile.
pub const MAX_FRAMES_PER_INPUT_BYTE: usize = 16;

/// One converted profile and the series it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpProfile {
    /// The series labels sorted by name: `__name__`, `service_name`,
    /// `__delta__="false"`, `__otel__="true"` and every resource and scope
    /// attribute with a string or integer value.
    pub labels: Vec<(String, String)>,
    /// The profile name (`__name__`), e.g. `process_cpu` or `off_cpu`.
    pub name: String,
    /// The profile: one sample type, stacks leaf first.
    pub profile: Profile,
}

/// Decodes a protobuf `ExportProfilesServiceRequest`, gzipped or not.
pub fn decode_request(data: &[u8], now_nanos: i64) -> Result<Vec<OtlpProfile>> {
    decode_request_with_limit(data, now_nanos, MAX_DECOMPRESSED_BYTES)
}

/// [`decode_request`] refusing more than `limit` decompressed bytes.
pub fn decode_request_with_limit(data: &[u8], now_nanos: i64, limit: usize) -> Result<Vec<OtlpProfile>> {
    decode_request_as(data, now_nanos, limit, None)
}

/// [`decode_request_with_limit`] for a request laid out as `declared`, or
/// as its samples show when `None`: v1.9.0 samples are read with v1.9.0's
/// field numbers, and a request whose layout is unclear is refused.
pub fn decode_request_as(
    data: &[u8],
    now_nanos: i64,
    limit: usize,
    declared: Option<OtlpVersion>,
) -> Result<Vec<OtlpProfile>> {
    let raw = maybe_gunzip(FORMAT, data, limit)?;
    let raw = layout::to_current(raw, declared).map_err(|m| Error::malformed(FORMAT, Position::None, m))?;
    crate::wire_bound::check(FORMAT, &raw, &shape::REQUEST)?;
    let req = pb::ExportProfilesServiceRequest::decode(raw.as_ref())
        .map_err(|e| Error::malformed(FORMAT, Position::None, format!("protobuf: {e}")))?;
    convert::request(&req, now_nanos, frame_budget(raw.len()))
}

/// Decodes a protojson `ExportProfilesServiceRequest`, gzipped or not.
/// Field names may be lowerCamelCase or the proto names; 64-bit integers
/// may be strings or numbers; bytes are base64 (trace and span ids may also
/// be hex, as OTLP/JSON specifies).
pub fn decode_request_json(data: &[u8], now_nanos: i64) -> Result<Vec<OtlpProfile>> {
    decode_request_json_with_limit(data, now_nanos, MAX_DECOMPRESSED_BYTES)
}

/// [`decode_request_json`] refusing more than `limit` decompressed bytes.
pub fn decode_request_json_with_limit(data: &[u8], now_nanos: i64, limit: usize) -> Result<Vec<OtlpProfile>> {
    let raw = maybe_gunzip(FORMAT, data, limit)?;
    let req = json::request(raw.as_ref())?;
    convert::request(&req, now_nanos, frame_budget(raw.len()))
}

fn frame_budget(input_len: usize) -> usize {
    input_len.saturating_mul(MAX_FRAMES_PER_INPUT_BYTE).max(1 << 16)
}
