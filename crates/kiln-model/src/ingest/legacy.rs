//! Legacy `POST /ingest`: query parameters, the labels Pyroscope gives a
//! pprof or JFR upload, and text or tree uploads turned into a typed
//! profile (reference §1.a, "How a legacy upload becomes v1 series").
//!
//! Every result still goes through [`super::series::prepare`], as
//! Pyroscope pushes every legacy upload through its Push path.

use std::collections::BTreeMap;

use super::intern::Interner;
use super::labels::{self, LabelSet};
use super::sample_type_config::{metric_name, SampleTypeConfigs};
use crate::error::{Error, Result};
use crate::ingest_name::IngestName;
use crate::profile::{Profile, ValueType};
use crate::profile_type::legacy_type;

/// `sampleRate` when absent or invalid (`types.DefaultSampleRate`).
pub const DEFAULT_SAMPLE_RATE: u32 = 100;

/// The query parameters of `/ingest` other than `name`, `from`, `until`
/// and `format`, with Pyroscope's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyParams {
    /// Hz; 0 disables the CPU / wall scaling of text uploads.
    pub sample_rate: u32,
    /// `unknown` when absent.
    pub spy_name: String,
    /// `samples` when absent. Recorded only: Pyroscope v1/v2 ignores it
    /// when storing (it typed the v0 storage).
    pub units: String,
    /// `sum` when absent. Recorded only, like `units`.
    pub aggregation_type: String,
}

impl LegacyParams {
    /// From the raw parameter values (`None` when absent). A `sampleRate`
    /// that is not an integer, is negative or does not fit 32 bits falls
    /// back to 100, as Pyroscope does (it logs and continues).
    pub fn from_query(
        sample_rate: Option<&str>,
        spy_name: Option<&str>,
        units: Option<&str>,
        aggregation_type: Option<&str>,
    ) -> LegacyParams {
        let or = |v: Option<&str>, d: &str| v.filter(|s| !s.is_empty()).unwrap_or(d).to_owned();
        LegacyParams {
            sample_rate: sample_rate.and_then(|s| s.parse::<u32>().ok()).unwrap_or(DEFAULT_SAMPLE_RATE),
            spy_name: or(spy_name, "unknown"),
            units: or(units, "samples"),
            aggregation_type: or(aggregation_type, "sum"),
        }
    }
}

/// User labels of an ingest name that legacy ingestion keeps (not starting
/// with `__`, except `__session_id__`), deduplicated with the last value
/// winning, as Go's map does.
fn user_labels(name: &IngestName) -> BTreeMap<String, String> {
    name.labels.iter().filter(|(k, _)| labels::is_allowed_for_ingestion(k)).cloned().collect()
}

fn sorted(map: BTreeMap<String, String>) -> LabelSet {
    map.into_iter().collect()
}

/// Labels of a pprof upload (`createLabels`): `__name__` from the sample
/// types ([`metric_name`]), `__delta__="false"`, `pyroscope_spy`,
/// `service_name=<name before {>` unless the user sent `service_name`, and
/// the kept user labels. Sorted by name.
pub fn pprof_labels(
    name: &IngestName,
    spy_name: &str,
    profile: &Profile,
    config: Option<&SampleTypeConfigs>,
) -> LabelSet {
    let mut m = user_labels(name);
    m.entry(labels::SERVICE_NAME.into()).or_insert_with(|| name.name.clone());
    m.insert(labels::METRIC_NAME.into(), metric_name(profile, config));
    m.insert(labels::DELTA.into(), "false".into());
    m.insert(labels::PYROSCOPE_SPY.into(), spy_name.into());
    sorted(m)
}

/// Labels of one profile of a JFR upload (jfr-parser's `pyroscope.Labels`):
/// the kept user labels, `pyroscope_spy`, `__delta__="false"`,
/// `jfr_event` (the recording's async-profiler `event` setting; left out
/// when empty), `__name__=<metric>`, and `service_name=<name before {>`,
/// or `app_name` when the user sent `service_name`. Sorted by name.
pub fn jfr_labels(name: &IngestName, spy_name: &str, metric: &str, jfr_event: &str) -> LabelSet {
    let mut m = user_labels(name);
    let app_label = if m.contains_key(labels::SERVICE_NAME) { labels::APP_NAME } else { labels::SERVICE_NAME };
    m.insert(labels::PYROSCOPE_SPY.into(), spy_name.into());
    m.insert(labels::DELTA.into(), "false".into());
    if !jfr_event.is_empty() {
        m.insert(labels::JFR_EVENT.into(), jfr_event.into());
    }
    m.insert(labels::METRIC_NAME.into(), metric.into());
    m.insert(app_label.into(), name.name.clone());
    sorted(m)
}

/// Nanoseconds in 1970: profiles stamped earlier than this carry a wrong
/// unit (old pyspy, rbspy and pyroscope-rs wrote microseconds).
const END_OF_1970_NANOS: i64 = 365 * 86_400 * 1_000_000_000;

/// `fixTime`: a pprof upload whose `time_nanos` is 0 or falls in 1970
/// takes the request's `from` instead.
pub fn fix_time(profile: &mut Profile, from_nanos: i64) {
    if (0..END_OF_1970_NANOS).contains(&profile.time_nanos) {
        profile.time_nanos = from_nanos;
    }
}

/// A text or tree upload ready for the Push path.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySeries {
    pub profile: Profile,
    pub labels: LabelSet,
}

/// Types a `folded`, `lines`, `tree` or `trie` upload, decoded into a
/// profile with one `samples/count` sample type, as Pyroscope's
/// `convertMetadata` and `Put` do:
///
/// - the suffix of the ingest name after its last `.` picks `__name__` and
///   the sample type ([`legacy_type`]; no dot means `cpu`; an unknown
///   suffix is an error, so `my.app` without a type suffix is refused);
/// - for `process_cpu` and `wall` with a non-zero `sampleRate`, values are
///   multiplied by the period `1e9 / sampleRate` (integer division) and
///   the sample type becomes `cpu:nanoseconds` (`wall:nanoseconds`) with
///   period type `cpu:nanoseconds`; otherwise there is no period type;
/// - the time is `from`, the duration 0;
/// - labels: `__name__`, `__delta__="false"`, `pyroscope_spy`, the kept
///   user labels, and `service_name=<app>`, or `app_name=<app>` when the
///   user sent `service_name` (and no `app_name`).
///
/// `Ok(None)` when the name carries a non-empty `profile_id` label:
/// Pyroscope silently drops such exemplar uploads unless they are pprof.
pub fn text_series(
    name: &IngestName,
    params: &LegacyParams,
    from_nanos: i64,
    profile: Profile,
) -> Result<Option<LegacySeries>> {
    if name.labels.iter().any(|(k, v)| k == labels::PROFILE_ID && !v.is_empty()) {
        return Ok(None);
    }
    let (app, suffix) = name.app_and_suffix();
    let t = legacy_type(suffix).ok_or_else(|| {
        Error::invalid("ingest name", format!("unknown profile type {suffix:?} in name {:?}", name.name))
    })?;
    if profile.sample_types.len() != 1 {
        return Err(Error::invalid("ingest", "a text or tree upload must decode to one sample type"));
    }
    let scaled = params.sample_rate != 0 && matches!(t.name, "process_cpu" | "wall");
    let profile = if scaled {
        let sample_type = if t.name == "wall" { "wall" } else { "cpu" };
        let period = 1_000_000_000 / i64::from(params.sample_rate);
        retype(profile, (sample_type, "nanoseconds"), Some(period), from_nanos)
    } else {
        retype(profile, (t.sample_type, t.sample_unit), None, from_nanos)
    };
    let mut m = user_labels(name);
    let app_label = if m.contains_key(labels::SERVICE_NAME) { labels::APP_NAME } else { labels::SERVICE_NAME };
    m.entry(app_label.into()).or_insert_with(|| app.to_owned());
    m.insert(labels::METRIC_NAME.into(), t.name.into());
    m.insert(labels::DELTA.into(), "false".into());
    m.insert(labels::PYROSCOPE_SPY.into(), params.spy_name.clone());
    Ok(Some(LegacySeries { profile, labels: sorted(m) }))
}

/// Sets the one sample type, the period (`cpu:nanoseconds` when scaling,
/// none otherwise) and the time, scaling values by the period.
fn retype(mut p: Profile, sample: (&str, &str), period: Option<i64>, time_nanos: i64) -> Profile {
    let mut interner = Interner::default();
    let ty = interner.intern(&mut p, sample.0);
    let unit = interner.intern(&mut p, sample.1);
    p.sample_types = vec![ValueType { ty, unit }];
    p.default_sample_type = 0;
    p.period_type = ValueType::default();
    p.period = 0;
    if let Some(period) = period {
        let cpu = interner.intern(&mut p, "cpu");
        let nanos = interner.intern(&mut p, "nanoseconds");
        p.period_type = ValueType { ty: cpu, unit: nanos };
        p.period = period;
        for s in &mut p.samples {
            for v in &mut s.values {
                *v = v.saturating_mul(period);
            }
        }
    }
    p.time_nanos = time_nanos;
    p.duration_nanos = 0;
    p
}
