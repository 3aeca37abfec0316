//! Profile type ids (`process_cpu:cpu:nanoseconds:cpu:nanoseconds`) and
//! Pyroscope's rules that name them from legacy ingest names and from pprof
//! sample types (reference §1.a, §1.b).

use std::fmt;

use crate::error::{Error, Result};

/// `<name>:<sample_type>:<sample_unit>:<period_type>:<period_unit>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileType {
    pub name: String,
    pub sample_type: String,
    pub sample_unit: String,
    pub period_type: String,
    pub period_unit: String,
}

impl ProfileType {
    pub fn new(name: &str, sample: (&str, &str), period: (&str, &str)) -> ProfileType {
        ProfileType {
            name: name.into(),
            sample_type: sample.0.into(),
            sample_unit: sample.1.into(),
            period_type: period.0.into(),
            period_unit: period.1.into(),
        }
    }

    /// The id string, e.g. `memory:alloc_space:bytes:space:bytes`.
    pub fn id(&self) -> String {
        self.to_string()
    }

    /// Parses an id of five parts (a sixth, as Pyroscope allows, is ignored).
    /// Empty parts are allowed; the name and sample type are not.
    pub fn parse(id: &str) -> Result<ProfileType> {
        let parts: Vec<&str> = id.split(':').collect();
        if !(5..=6).contains(&parts.len()) {
            return Err(Error::invalid("profile type", format!("{id:?} must have 5 parts separated by ':'")));
        }
        if parts[0].is_empty() || parts[1].is_empty() {
            return Err(Error::invalid("profile type", format!("{id:?} has an empty name or sample type")));
        }
        Ok(ProfileType::new(parts[0], (parts[1], parts[2]), (parts[3], parts[4])))
    }
}

impl fmt::Display for ProfileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}:{}:{}", self.name, self.sample_type, self.sample_unit, self.period_type, self.period_unit)
    }
}

/// What a legacy ingest name's suffix (`app.cpu` -> `cpu`) maps to: the
/// `__name__` and the sample type and unit (reference §1.a table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyType {
    pub name: &'static str,
    pub sample_type: &'static str,
    pub sample_unit: &'static str,
}

/// Maps a legacy ingest suffix to its type; `None` for unknown suffixes,
/// which Pyroscope refuses.
pub fn legacy_type(suffix: &str) -> Option<LegacyType> {
    let t = |name, sample_type, sample_unit| Some(LegacyType { name, sample_type, sample_unit });
    match suffix {
        "cpu" | "itimer" => t("process_cpu", "samples", "count"),
        "wall" | "seconds" | "nanoseconds" | "microseconds" | "milliseconds" => t("wall", "samples", "count"),
        "inuse_objects" => t("memory", "inuse_objects", "count"),
        "alloc_objects" => t("memory", "alloc_objects", "count"),
        "inuse_space" => t("memory", "inuse_space", "bytes"),
        "alloc_space" => t("memory", "alloc_space", "bytes"),
        "goroutines" => t("goroutine", "goroutines", "count"),
        "mutex_count" => t("mutex", "contentions", "count"),
        "mutex_duration" => t("mutex", "delay", "nanoseconds"),
        "block_count" | "lock_count" => t("block", "contentions", "count"),
        "block_duration" | "lock_duration" => t("block", "delay", "nanoseconds"),
        "alloc_in_new_tlab_objects" | "alloc_outside_tlab_objects" => t("memory", suffix_static(suffix), "count"),
        "alloc_in_new_tlab_bytes" | "alloc_outside_tlab_bytes" => t("memory", suffix_static(suffix), "bytes"),
        "live" => t("memory", "live", "count"),
        "exceptions" => t("exceptions", "samples", "count"),
        "bytes" => t("memory", "samples", "bytes"),
        _ => None,
    }
}

fn suffix_static(s: &str) -> &'static str {
    match s {
        "alloc_in_new_tlab_objects" => "alloc_in_new_tlab_objects",
        "alloc_outside_tlab_objects" => "alloc_outside_tlab_objects",
        "alloc_in_new_tlab_bytes" => "alloc_in_new_tlab_bytes",
        _ => "alloc_outside_tlab_bytes",
    }
}

/// The `__name__` Pyroscope gives a pprof or JFR upload from its sample
/// types' display names: `wall` wins, then the first name that matches.
pub fn pprof_metric_name<'a>(display_names: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'static str> {
    if display_names.clone().into_iter().any(|n| n == "wall") {
        return Some("wall");
    }
    display_names.into_iter().find_map(|n| {
        if n.contains("cpu") {
            Some("process_cpu")
        } else if n.contains("alloc_") || n.contains("inuse_") || n == "space" || n == "objects" {
            Some("memory")
        } else if n.contains("mutex_") {
            Some("mutex")
        } else if n.contains("block_") {
            Some("block")
        } else if n.contains("goroutines") {
            Some("goroutines")
        } else {
            None
        }
    })
}

/// Pyroscope's per-sample-type defaults for pprof uploads without a
/// `sample_type_config` (`DefaultSampleTypeMapping`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleTypeConfig {
    pub units: String,
    pub display_name: Option<String>,
    pub aggregation: Option<String>,
    pub cumulative: bool,
    pub sampled: bool,
}

/// The default config of a pprof sample type, if Pyroscope has one.
pub fn default_sample_type_config(sample_type: &str) -> Option<SampleTypeConfig> {
    let c = |units: &str, display: Option<&str>, aggregation: Option<&str>, cumulative, sampled| SampleTypeConfig {
        units: units.into(),
        display_name: display.map(Into::into),
        aggregation: aggregation.map(Into::into),
        cumulative,
        sampled,
    };
    Some(match sample_type {
        "samples" => c("samples", Some("cpu"), None, false, true),
        "inuse_objects" => c("objects", None, Some("average"), false, false),
        "alloc_objects" => c("objects", None, None, true, false),
        "inuse_space" => c("bytes", None, Some("average"), false, false),
        "alloc_space" => c("bytes", None, None, true, false),
        "goroutine" => c("goroutines", Some("goroutines"), Some("average"), false, false),
        "contentions" => c("lock_samples", Some("mutex_count"), None, true, false),
        "delay" => c("lock_nanoseconds", Some("mutex_duration"), None, true, false),
        _ => return None,
    })
}
