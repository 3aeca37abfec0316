//! Push API normalisation (reference §1.b): what Pyroscope's distributor
//! and ingester do to one pushed series before storing it, and the split
//! of its pprof into one series per sample type and sample-label group
//! (`pushSeries`, `ValidateProfile`, `Profile.Normalize`,
//! `pprofsplit.VisitSampleSeries`, `CreateProfileLabels`).
//!
//! Every legacy upload goes through here too, after
//! [`super::legacy`] has labelled it.

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::clamp::clamp_values;
use super::intern::Interner;
use super::labels::{self, LabelSet};
use super::limits::{truncate, validate, validate_labels, Limits, Reason, Rejection};
use crate::profile::{Label, Profile, Sample};
use crate::profile_type::ProfileType;

/// One stored series: a sample type of the shared profile, restricted to
/// some of its samples when sample labels split it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesProfile {
    /// Sorted by name; includes `__name__`, `service_name`,
    /// `__service_name__`, `__type__`, `__unit__`, `__period_type__`,
    /// `__period_unit__` (when the profile has a period type) and
    /// `__profile_type__`.
    pub labels: LabelSet,
    pub profile_type: ProfileType,
    /// Index into the profile's `sample_types`.
    pub sample_type: usize,
    /// Indices into the profile's `samples`; `None` means all of them.
    pub samples: Option<Vec<u32>>,
}

/// A normalised pushed profile and the series it is stored as.
#[derive(Debug, Clone, PartialEq)]
pub struct PushSeries {
    pub profile: Profile,
    /// False when the client sent `__delta__="false"` (the label is
    /// consumed). Pyroscope's v1 ingester then computes deltas itself, for
    /// `memory` `alloc_objects` / `alloc_space` only.
    pub delta: bool,
    /// Empty when normalisation left no samples: Pyroscope accepts the
    /// request and stores nothing.
    pub series: Vec<SeriesProfile>,
    /// Sample values clamped to [`MAX_SAMPLE_VALUE`](super::clamp::MAX_SAMPLE_VALUE).
    pub clamped: usize,
}

/// Reserved labels a request may carry: `__name__`, `__delta__` (consumed),
/// `__session_id__`, and `__otel__` (set by the OTLP path).
fn reserved_allowed(name: &str) -> bool {
    matches!(name, labels::METRIC_NAME | labels::DELTA | labels::SESSION_ID | labels::OTEL)
}

/// Checks and completes a series' request labels: other names starting
/// with `__` are refused (`invalid_labels`, naming the label); `__delta__`
/// is removed and reported as the returned flag; a missing or empty
/// `service_name` becomes `unknown_service`. Sorted by name.
///
/// Pyroscope itself lets other reserved labels through to storage, where
/// the ones it computes (`__type__`, `__profile_type__`, ...) overwrite
/// them; Kiln refuses them so a client cannot forge them.
pub fn request_labels(request: &[(String, String)]) -> Result<(LabelSet, bool), Rejection> {
    if let Some((name, _)) = request.iter().find(|(n, _)| n.starts_with("__") && !reserved_allowed(n)) {
        let msg = format!(
            "label name {name:?} is reserved: names starting with \"__\" are for the server, except __session_id__"
        );
        return Err(Rejection::new(Reason::InvalidLabels, msg));
    }
    let delta = labels::get(request, labels::DELTA) != Some("false");
    let mut out: LabelSet = request.iter().filter(|(n, _)| n != labels::DELTA).cloned().collect();
    if labels::get(&out, labels::SERVICE_NAME).unwrap_or("").is_empty() {
        labels::set(&mut out, labels::SERVICE_NAME, labels::SERVICE_NAME_FALLBACK);
    }
    labels::sort(&mut out);
    Ok((out, delta))
}

/// `Profile.Normalize`: a `time_nanos` of 0 or less becomes `now_nanos`;
/// numeric sample labels are removed; `profile_id` labels are renamed
/// `span_id`; samples with a negative value, or with no positive value,
/// are dropped; samples with the same stack and labels are summed.
/// Unreferenced symbols are left in place.
pub fn normalize(profile: &mut Profile, now_nanos: i64) {
    if profile.time_nanos <= 0 {
        profile.time_nanos = now_nanos;
    }
    rename_label(profile, labels::PROFILE_ID, labels::SPAN_ID);
    let mut kept: Vec<Sample> = Vec::with_capacity(profile.samples.len());
    let mut index: FxHashMap<(Vec<u64>, Vec<Label>), usize> = FxHashMap::default();
    for mut s in std::mem::take(&mut profile.samples) {
        if s.values.iter().any(|&v| v < 0) || !s.values.iter().any(|&v| v > 0) {
            continue;
        }
        s.labels.retain(|l| l.str != 0);
        s.labels.sort_by_key(|l| (l.key, l.str));
        match index.entry((s.locations.clone(), s.labels.clone())) {
            Entry::Occupied(e) => {
                for (a, b) in kept[*e.get()].values.iter_mut().zip(&s.values) {
                    *a = a.saturating_add(*b);
                }
            }
            Entry::Vacant(e) => {
                e.insert(kept.len());
                kept.push(s);
            }
        }
    }
    profile.samples = kept;
}

fn rename_label(profile: &mut Profile, from: &str, to: &str) {
    let Some(old) = profile.strings.iter().position(|s| s == from) else { return };
    let new = Interner::default().intern(profile, to);
    for s in &mut profile.samples {
        for l in s.labels.iter_mut().filter(|l| l.key as usize == old) {
            l.key = new;
        }
    }
}

/// Everything Pyroscope does to one pushed series, in its order: request
/// labels ([`request_labels`]), [`validate`] (`size_bytes` is the
/// uncompressed pprof size; `now_nanos` the server's clock), [`truncate`], [`normalize`],
/// [`clamp_values`], then [`split`].
pub fn prepare(
    request: &[(String, String)],
    mut profile: Profile,
    size_bytes: usize,
    now_nanos: i64,
    limits: &Limits,
) -> Result<PushSeries, Rejection> {
    let (labels, delta) = request_labels(request)?;
    validate(&profile, size_bytes, &labels, now_nanos, limits)?;
    truncate(&mut profile, limits);
    normalize(&mut profile, now_nanos);
    let clamped = clamp_values(&mut profile);
    let series = if profile.samples.is_empty() { Vec::new() } else { split(&profile, &labels, limits)? };
    Ok(PushSeries { profile, delta, series, clamped })
}

/// Splits a normalised profile into series. Samples are grouped by their
/// string labels other than `span_id` and `trace_id` (which stay on the
/// samples for span profiles); each group's labels are added to the series
/// labels unless the series already has that name (series labels win) or
/// the name starts with `__`. Each group's labels are validated
/// ([`validate_labels`]); then every sample type of the profile becomes a
/// series of its own.
pub fn split(profile: &Profile, labels: &LabelSet, limits: &Limits) -> Result<Vec<SeriesProfile>, Rejection> {
    let groups = group_samples(profile, labels);
    let whole = groups.len() == 1 && groups.keys().next().is_some_and(Vec::is_empty);
    let mut out = Vec::new();
    for (extra, samples) in groups {
        let mut group_labels = labels.clone();
        group_labels.extend(extra);
        labels::sort(&mut group_labels);
        validate_labels(&group_labels, limits)?;
        let samples = (!whole).then_some(samples);
        for sample_type in 0..profile.sample_types.len() {
            out.push(series_of(profile, &group_labels, sample_type, samples.clone()));
        }
    }
    Ok(out)
}

/// Sample indices by the labels they add to the series.
fn group_samples(profile: &Profile, labels: &LabelSet) -> BTreeMap<LabelSet, Vec<u32>> {
    let mut groups: BTreeMap<LabelSet, Vec<u32>> = BTreeMap::new();
    for (i, s) in profile.samples.iter().enumerate() {
        let mut extra: LabelSet = s
            .labels
            .iter()
            .filter(|l| l.str != 0)
            .map(|l| (profile.str(l.key), profile.str(l.str)))
            .filter(|(k, _)| !matches!(*k, labels::SPAN_ID | labels::TRACE_ID) && !k.starts_with("__"))
            .filter(|(k, _)| labels::get(labels, k).is_none())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        extra.sort();
        extra.dedup_by(|a, b| a.0 == b.0);
        groups.entry(extra).or_default().push(i as u32);
    }
    groups
}

/// `CreateProfileLabels` for one sample type.
fn series_of(
    profile: &Profile,
    group_labels: &LabelSet,
    sample_type: usize,
    samples: Option<Vec<u32>>,
) -> SeriesProfile {
    let mut ls = group_labels.clone();
    let name = labels::get(group_labels, labels::METRIC_NAME).unwrap_or("");
    if let Some(service) = labels::get(group_labels, labels::SERVICE_NAME).filter(|s| !s.is_empty()) {
        labels::set(&mut ls, labels::SERVICE_NAME_PRIVATE, service);
    }
    let pt = profile.period_type;
    let (period_type, period_unit) = profile.value_type(pt);
    if pt.ty != 0 || pt.unit != 0 {
        labels::set(&mut ls, labels::PERIOD_TYPE, period_type);
        labels::set(&mut ls, labels::PERIOD_UNIT, period_unit);
    }
    let (ty, unit) = profile.value_type(profile.sample_types[sample_type]);
    labels::set(&mut ls, labels::TYPE, ty);
    labels::set(&mut ls, labels::UNIT, unit);
    let profile_type = ProfileType::new(name, (ty, unit), (period_type, period_unit));
    labels::set(&mut ls, labels::PROFILE_TYPE, &profile_type.id());
    labels::sort(&mut ls);
    SeriesProfile { labels: ls, profile_type, sample_type, samples }
}
