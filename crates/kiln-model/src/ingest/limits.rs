//! Validation limits with Pyroscope's defaults (`pkg/validation/limits.go`)
//! and the checks of `pkg/validation/validate.go` (`ValidateProfile`,
//! `ValidateLabels`). A limit of 0 means unlimited, as in Pyroscope.

use std::fmt;

use super::labels;
use crate::profile::Profile;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Per-tenant ingestion limits. Rate, burst and series-count limits are
/// the server's concern and live there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `validation.max-profile-size-bytes`: uncompressed pprof size.
    pub max_profile_size_bytes: usize,
    /// `max-profile-stacktrace-samples`.
    pub max_profile_stacktrace_samples: usize,
    /// `max-profile-stacktrace-depth`: deeper stacks are truncated.
    pub max_profile_stacktrace_depth: usize,
    /// `max-profile-stacktrace-sample-labels`: labels on one sample.
    pub max_profile_stacktrace_sample_labels: usize,
    /// `max-profile-symbol-value-length`: longer strings are truncated.
    pub max_profile_symbol_value_length: usize,
    /// `max-label-names-per-series`.
    pub max_label_names_per_series: usize,
    /// `max-length-label-name`.
    pub max_label_name_length: usize,
    /// `max-length-label-value`.
    pub max_label_value_length: usize,
    /// `ingestion-body-limit-mb`: a request body, and the uncompressed sum
    /// of a Push request's profiles.
    pub ingestion_body_limit_bytes: usize,
    /// `validation.reject-older-than` (1h): profiles stamped further in the
    /// past are refused.
    pub reject_older_than_nanos: i64,
    /// `validation.reject-newer-than` (10m): profiles stamped further in
    /// the future are refused.
    pub reject_newer_than_nanos: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_profile_size_bytes: 4 << 20,
            max_profile_stacktrace_samples: 16_000,
            max_profile_stacktrace_depth: 1_000,
            max_profile_stacktrace_sample_labels: 100,
            max_profile_symbol_value_length: 65_535,
            max_label_names_per_series: 30,
            max_label_name_length: 1_024,
            max_label_value_length: 2_048,
            ingestion_body_limit_bytes: 256 << 20,
            reject_older_than_nanos: 3_600 * NANOS_PER_SECOND,
            reject_newer_than_nanos: 600 * NANOS_PER_SECOND,
        }
    }
}

/// Why a profile was refused: Pyroscope's `reason` label values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    InvalidLabels,
    MissingLabels,
    MaxLabelNamesPerSeries,
    LabelNameTooLong,
    LabelValueTooLong,
    DuplicateLabelNames,
    ProfileSizeLimit,
    /// Too many samples (`max-profile-stacktrace-samples`).
    SamplesLimit,
    /// Too many labels on one sample.
    SampleLabelsLimit,
    MalformedProfile,
    BodySizeLimit,
    NotInIngestionWindow,
}

impl Reason {
    /// The reason as Pyroscope spells it in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidLabels => "invalid_labels",
            Reason::MissingLabels => "missing_labels",
            Reason::MaxLabelNamesPerSeries => "max_label_names_per_series",
            Reason::LabelNameTooLong => "label_name_too_long",
            Reason::LabelValueTooLong => "label_value_too_long",
            Reason::DuplicateLabelNames => "duplicate_label_names",
            Reason::ProfileSizeLimit => "profile_size_limit",
            Reason::SamplesLimit => "samples_limit",
            Reason::SampleLabelsLimit => "sample_labels_limit",
            Reason::MalformedProfile => "malformed_profile",
            Reason::BodySizeLimit => "body_size_limit_exceeded",
            Reason::NotInIngestionWindow => "not_in_ingestion_window",
        }
    }
}

/// A refused profile: the reason and a message saying what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub message: String,
}

impl Rejection {
    pub fn new(reason: Reason, message: impl Into<String>) -> Rejection {
        Rejection { reason, message: message.into() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.as_str(), self.message)
    }
}

impl std::error::Error for Rejection {}

fn over(limit: usize, actual: usize) -> bool {
    limit != 0 && actual > limit
}

/// `ValidateProfile`'s refusals: a positive `time_nanos` outside the
/// ingestion window around `now_nanos`, `size_bytes` (the uncompressed
/// pprof size) over the limit, too many samples, too many labels on a
/// sample, no sample types, a sample type name containing `-`, or a sample
/// whose value count differs from the sample types'. `labels` only go into the
/// messages.
pub fn validate(
    profile: &Profile,
    size_bytes: usize,
    labels: &[(String, String)],
    now_nanos: i64,
    limits: &Limits,
) -> Result<(), Rejection> {
    let ls = labels::to_string(labels);
    let reject = |reason, what: String| Err(Rejection::new(reason, format!("the profile with labels '{ls}' {what}")));
    if let Some(window) = outside_window(profile.time_nanos, now_nanos, limits) {
        return reject(Reason::NotInIngestionWindow, window);
    }
    if over(limits.max_profile_size_bytes, size_bytes) {
        let limit = limits.max_profile_size_bytes;
        return reject(
            Reason::ProfileSizeLimit,
            format!("is {size_bytes} bytes uncompressed, over the limit of {limit}"),
        );
    }
    if over(limits.max_profile_stacktrace_samples, profile.samples.len()) {
        let (n, limit) = (profile.samples.len(), limits.max_profile_stacktrace_samples);
        return reject(Reason::SamplesLimit, format!("has {n} samples, over the limit of {limit}"));
    }
    if let Some(s) = profile.samples.iter().find(|s| over(limits.max_profile_stacktrace_sample_labels, s.labels.len()))
    {
        let (n, limit) = (s.labels.len(), limits.max_profile_stacktrace_sample_labels);
        return reject(Reason::SampleLabelsLimit, format!("has a sample with {n} labels, over the limit of {limit}"));
    }
    if profile.sample_types.is_empty() {
        return reject(Reason::MalformedProfile, "has no sample types".into());
    }
    if let Some(vt) = profile.sample_types.iter().find(|vt| profile.str(vt.ty).contains('-')) {
        return reject(Reason::MalformedProfile, format!("has sample type {:?} containing '-'", profile.str(vt.ty)));
    }
    if profile.samples.iter().any(|s| s.values.len() != profile.sample_types.len()) {
        return reject(Reason::MalformedProfile, "has a sample whose value count differs from its sample types".into());
    }
    Ok(())
}

/// Why a positive time is outside the ingestion window, if it is.
fn outside_window(t: i64, now: i64, limits: &Limits) -> Option<String> {
    let (older, newer) = (limits.reject_older_than_nanos, limits.reject_newer_than_nanos);
    if t <= 0 {
        return None;
    }
    if older != 0 && t <= now.saturating_sub(older) {
        return Some(format!("is stamped {t} ns, more than {older} ns before now ({now})"));
    }
    if newer != 0 && t >= now.saturating_add(newer) {
        return Some(format!("is stamped {t} ns, more than {newer} ns after now ({now})"));
    }
    None
}

/// Truncates what Pyroscope truncates instead of refusing: stacks deeper
/// than the depth limit lose their leaf-most frames (the root-most
/// `max_profile_stacktrace_depth` locations are kept), and strings longer
/// than the symbol limit keep their last bytes (moved forward to a
/// character boundary).
pub fn truncate(profile: &mut Profile, limits: &Limits) {
    let depth = limits.max_profile_stacktrace_depth;
    if depth != 0 {
        for s in &mut profile.samples {
            if s.locations.len() > depth {
                s.locations.drain(..s.locations.len() - depth);
            }
        }
    }
    let max = limits.max_profile_symbol_value_length;
    if max != 0 {
        for s in &mut profile.strings {
            if s.len() > max {
                let mut start = s.len() - max;
                while !s.is_char_boundary(start) {
                    start += 1;
                }
                s.drain(..start);
            }
        }
    }
}

/// `ValidateLabels` on one series' labels, sorted by name: at least one
/// label, at most the label-count limit, a non-empty `__name__`
/// (`invalid_labels`) and `service_name` (`missing_labels`), names and
/// values within their length limits, no empty name, no duplicate name.
/// Label-name sanitisation is off, as by default since Pyroscope 2.0, so
/// UTF-8 names with dots are accepted.
pub fn validate_labels(sorted: &[(String, String)], limits: &Limits) -> Result<(), Rejection> {
    let ls = || labels::to_string(sorted);
    let invalid = |reason, detail: String| Err(Rejection::new(reason, format!("invalid labels '{}': {detail}", ls())));
    if sorted.is_empty() {
        return invalid(Reason::MissingLabels, "at least one label pair is required per profile".into());
    }
    if over(limits.max_label_names_per_series, sorted.len()) {
        let limit = limits.max_label_names_per_series;
        return invalid(
            Reason::MaxLabelNamesPerSeries,
            format!("{} label names, over the limit of {limit}", sorted.len()),
        );
    }
    if labels::get(sorted, labels::METRIC_NAME).unwrap_or("").is_empty() {
        return invalid(Reason::InvalidLabels, "invalid metric name: __name__ is missing or empty".into());
    }
    if labels::get(sorted, labels::SERVICE_NAME).unwrap_or("").is_empty() {
        return invalid(Reason::MissingLabels, "service name is not provided".into());
    }
    for (i, (name, value)) in sorted.iter().enumerate() {
        if over(limits.max_label_name_length, name.len()) {
            return invalid(Reason::LabelNameTooLong, format!("label name too long: '{name}'"));
        }
        if over(limits.max_label_value_length, value.len()) {
            return invalid(Reason::LabelValueTooLong, format!("label {name} has a value too long: '{value}'"));
        }
        if name.is_empty() {
            return invalid(Reason::InvalidLabels, "invalid label name ''".into());
        }
        if i > 0 && sorted[i - 1].0 == *name {
            return invalid(Reason::DuplicateLabelNames, format!("duplicate label name: '{name}'"));
        }
    }
    Ok(())
}
