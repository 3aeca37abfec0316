//! The `labels` field of a multipart JFR upload (pyroscope-java): a
//! protobuf `LabelsSnapshot` mapping async-profiler context ids to label
//! sets, gzip allowed (`pkg/og/convert/jfr/profile.go`).
//!
//! Pyroscope (jfr-parser's `AddExternalSampleWithLabels`) turns a sample's
//! context into pprof *sample* labels; the distributor then groups samples
//! by those labels and stores each group as its own series with the labels
//! added to the series labels ([`super::series::split`]). [`apply`] does
//! the first half on Kiln's decoded JFR profiles.

use prost::Message;

use super::intern::Interner;
use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::jfr::CONTEXT_ID_LABEL;
use crate::pb::jfr::labels::LabelsSnapshot;
use crate::profile::{Label, Profile};

const FORMAT: &str = "jfr labels";

/// Decodes the field, gzipped or not, bounding its decompressed size by
/// `limit` bytes.
pub fn decode_with_limit(data: &[u8], limit: usize) -> Result<LabelsSnapshot> {
    let raw = maybe_gunzip(FORMAT, data, limit)?;
    LabelsSnapshot::decode(raw.as_ref()).map_err(|e| Error::malformed(FORMAT, Position::None, e.to_string()))
}

/// Decodes the field with the default size bound.
pub fn decode(data: &[u8]) -> Result<LabelsSnapshot> {
    decode_with_limit(data, MAX_DECOMPRESSED_BYTES)
}

/// Replaces each sample's numeric [`CONTEXT_ID_LABEL`] label by the string
/// labels of that context, in label-name order: names and values are
/// looked up in the snapshot's strings. A context id the snapshot does not
/// know adds nothing; pairs whose name or value is empty or unknown are
/// skipped (Pyroscope would keep an empty name and then refuse the series).
pub fn apply(profile: &mut Profile, snapshot: &LabelsSnapshot) {
    let Some(key) = profile.strings.iter().position(|s| s == CONTEXT_ID_LABEL) else { return };
    let mut interner = Interner::default();
    for i in 0..profile.samples.len() {
        let Some(at) = profile.samples[i].labels.iter().position(|l| l.key as usize == key && l.str == 0) else {
            continue;
        };
        let context = profile.samples[i].labels.remove(at).num;
        for (name, value) in context_labels(snapshot, context) {
            let label =
                Label { key: interner.intern(profile, name), str: interner.intern(profile, value), ..Label::default() };
            profile.samples[i].labels.push(label);
        }
    }
}

/// The non-empty `(name, value)` pairs of a context, sorted by name.
fn context_labels(snapshot: &LabelsSnapshot, context: i64) -> Vec<(&str, &str)> {
    let Some(ctx) = snapshot.contexts.get(&context) else { return Vec::new() };
    let string = |id: &i64| snapshot.strings.get(id).map(String::as_str).unwrap_or("");
    let mut pairs: Vec<(&str, &str)> = ctx
        .labels
        .iter()
        .map(|(k, v)| (string(k), string(v)))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .collect();
    pairs.sort_unstable();
    pairs
}
