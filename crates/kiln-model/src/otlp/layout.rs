//! Which opentelemetry-proto release laid out a protobuf request's samples.
//!
//! v1.10.0 renumbered `Sample`: `values` moved from field 2 to 4,
//! `attribute_indices` from 3 to 2 and `link_index` from 4 to 3 (v1.11.0
//! kept v1.10.0's numbers). Exporters built on v1.9.0 are still in use
//! (OpenTelemetry's Python profiler, with the exporter version it pins), and
//! a v1.9.0 sample read with v1.10.0's numbers turns its values into
//! attribute indices. So the layout is declared by the client or detected:
//!
//! - packed field 3 or varint field 4 is v1.9.0; varint field 3 or packed
//!   field 4 is v1.10.0;
//! - field 2 with neither timestamps nor fields 3 and 4 is v1.9.0 (a
//!   v1.10.0 sample needs values or timestamps);
//! - field 2 with timestamps of another count is v1.10.0 (v1.9.0's values
//!   and timestamps pair up);
//! - field 2 with as many timestamps, and nothing else, reads either way.
//!
//! A request whose samples say both is refused, and so is one that says
//! neither while some sample reads either way: it is never guessed. A
//! v1.9.0 request is rewritten to v1.10.0 by renumbering the three tags in
//! place (each one byte, so nothing moves). Protojson names its fields and
//! needs none of this.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::dictionary::Lookup;
use super::wire::{count, fields, Field, LEN, VARINT};

/// The OTLP releases whose `Sample` layouts differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpVersion {
    /// opentelemetry-proto v1.9.0: values 2, attribute_indices 3, link_index 4.
    V1_9,
    /// opentelemetry-proto v1.10.0 and later: attribute_indices 2,
    /// link_index 3, values 4.
    V1_10,
}

impl FromStr for OtlpVersion {
    type Err = String;

    /// `1.9.0` or `1.10.0` (also `1.11.0`, which kept its layout), with or
    /// without a leading `v` and the patch number.
    fn from_str(s: &str) -> Result<OtlpVersion, String> {
        let t = s.trim().trim_start_matches('v');
        match t.strip_suffix(".0").unwrap_or(t) {
            "1.9" => Ok(OtlpVersion::V1_9),
            "1.10" | "1.11" => Ok(OtlpVersion::V1_10),
            _ => Err(format!("unknown OTLP version {s:?}: expected 1.9.0 or 1.10.0")),
        }
    }
}

impl fmt::Display for OtlpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OtlpVersion::V1_9 => "v1.9.0",
            OtlpVersion::V1_10 => "v1.10.0",
        })
    }
}

/// Field numbers from the request down to a sample: resource_profiles,
/// scope_profiles, profiles, samples.
const PATH: [u64; 4] = [1, 2, 2, 2];

/// Where a sample is, for messages.
#[derive(Clone, Copy)]
struct At([usize; 4]);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, s, p, i] = self.0;
        write!(f, "resource_profiles[{r}].scope_profiles[{s}].profiles[{p}].samples[{i}]")
    }
}

/// What one sample's encoding says about its layout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Says {
    Version(OtlpVersion),
    Either,
    Nothing,
}

/// `raw` in the v1.10.0 layout: unchanged when declared or detected as
/// v1.10.0, renumbered when v1.9.0; an error when the layout is unclear.
pub(super) fn to_current(raw: Cow<'_, [u8]>, declared: Option<OtlpVersion>) -> Lookup<Cow<'_, [u8]>> {
    let version = match declared {
        Some(v) => v,
        None => detect(&raw)?,
    };
    if version == OtlpVersion::V1_10 {
        return Ok(raw);
    }
    let mut bytes = raw.into_owned();
    let mut tags = Vec::new();
    samples(&bytes, &mut |_, sample| {
        for field in fields(&bytes, sample) {
            tags.extend(renumbered(&field?)?);
        }
        Ok(())
    })?;
    for (at, tag) in tags {
        bytes[at] = tag;
    }
    Ok(Cow::Owned(bytes))
}

/// The tag byte a v1.9.0 field gets in v1.10.0, with its offset.
fn renumbered(field: &Field) -> Lookup<Option<(usize, u8)>> {
    let number = match field.number {
        2 => 4,
        3 => 2,
        4 => 3,
        _ => return Ok(None),
    };
    if field.tag_len != 1 {
        return Err(format!("sample field {} at byte {} has an over-long tag", field.number, field.tag_at));
    }
    Ok(Some((field.tag_at, (number << 3) as u8 | field.wire)))
}

/// The layout the samples of a request say, v1.10.0 when none says any.
fn detect(buf: &[u8]) -> Lookup<OtlpVersion> {
    let (mut v1_9, mut v1_10, mut either) = (None, None, None);
    samples(buf, &mut |at, sample| {
        match says(buf, sample)? {
            Says::Version(OtlpVersion::V1_9) => v1_9 = v1_9.or(Some(at)),
            Says::Version(OtlpVersion::V1_10) => v1_10 = v1_10.or(Some(at)),
            Says::Either => either = either.or(Some(at)),
            Says::Nothing => {}
        }
        Ok(())
    })?;
    match (v1_9, v1_10, either) {
        (Some(a), Some(b), _) => Err(format!(
            "{a} is laid out as OTLP v1.9.0 but {b} as v1.10.0 (Sample fields were renumbered in v1.10.0); \
             declare the version with the {VERSION_HEADER} header"
        )),
        (Some(_), None, _) => Ok(OtlpVersion::V1_9),
        (None, None, Some(at)) => Err(format!(
            "{at} reads as values under OTLP v1.9.0 and as attribute_indices under v1.10.0 \
             (Sample fields were renumbered in v1.10.0); declare the version with the {VERSION_HEADER} header"
        )),
        _ => Ok(OtlpVersion::V1_10),
    }
}

/// The request header (and gRPC metadata key) that declares the layout.
pub const VERSION_HEADER: &str = "x-kiln-otlp-version";

/// What one sample's fields say.
fn says(buf: &[u8], sample: std::ops::Range<usize>) -> Lookup<Says> {
    let (mut field2, mut timestamps, mut has2) = (0, 0, false);
    for field in fields(buf, sample) {
        let field = field?;
        match (field.number, field.wire) {
            (3, LEN) | (4, VARINT) => return Ok(Says::Version(OtlpVersion::V1_9)),
            (3, VARINT) | (4, LEN) => return Ok(Says::Version(OtlpVersion::V1_10)),
            (2, _) => (has2, field2) = (true, field2 + count(buf, &field, 0)),
            (5, _) => timestamps += count(buf, &field, 8),
            _ => {}
        }
    }
    Ok(match (has2, timestamps) {
        (false, _) => Says::Nothing,
        (true, 0) => Says::Version(OtlpVersion::V1_9),
        (true, t) if t != field2 => Says::Version(OtlpVersion::V1_10),
        (true, _) => Says::Either,
    })
}

/// Calls `f` with the position and byte range of every sample.
fn samples(buf: &[u8], f: &mut dyn FnMut(At, std::ops::Range<usize>) -> Lookup<()>) -> Lookup<()> {
    walk(buf, 0..buf.len(), &mut [0; 4], 0, f)
}

fn walk(
    buf: &[u8],
    range: std::ops::Range<usize>,
    at: &mut [usize; 4],
    depth: usize,
    f: &mut dyn FnMut(At, std::ops::Range<usize>) -> Lookup<()>,
) -> Lookup<()> {
    let mut index = 0;
    for field in fields(buf, range) {
        let field = field?;
        if field.number != PATH[depth] || field.wire != LEN {
            continue;
        }
        at[depth] = index;
        index += 1;
        if depth + 1 == PATH.len() {
            f(At(*at), field.body)?;
        } else {
            walk(buf, field.body, at, depth + 1, f)?;
        }
    }
    Ok(())
}
