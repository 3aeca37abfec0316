//! Series label names Pyroscope reserves or adds, and small helpers over
//! label sets (`pkg/model/labels.go`).

/// A series' labels as `(name, value)` pairs.
pub type LabelSet = Vec<(String, String)>;

/// The profile name (`process_cpu`, `memory`, ...).
pub const METRIC_NAME: &str = "__name__";
/// `"false"` when the profile already holds deltas; consumed by the server.
pub const DELTA: &str = "__delta__";
/// The one reserved label clients may send (Go SDK sessions).
pub const SESSION_ID: &str = "__session_id__";
/// Set by the server on OpenTelemetry profiles.
pub const OTEL: &str = "__otel__";
pub const SERVICE_NAME: &str = "service_name";
/// The app name of a legacy upload whose labels already had `service_name`.
pub const APP_NAME: &str = "app_name";
pub const PYROSCOPE_SPY: &str = "pyroscope_spy";
/// The async-profiler event setting of a JFR upload (`itimer`, `cpu`, `wall`).
pub const JFR_EVENT: &str = "jfr_event";
/// A legacy upload carrying this label is an exemplar upload.
pub const PROFILE_ID: &str = "profile_id";
/// `service_name` when a series has none.
pub const SERVICE_NAME_FALLBACK: &str = "unknown_service";
pub const TYPE: &str = "__type__";
pub const UNIT: &str = "__unit__";
pub const PERIOD_TYPE: &str = "__period_type__";
pub const PERIOD_UNIT: &str = "__period_unit__";
pub const PROFILE_TYPE: &str = "__profile_type__";
pub const SERVICE_NAME_PRIVATE: &str = "__service_name__";
/// Sample labels that stay on samples (span profiles) instead of splitting
/// the profile into series.
pub const SPAN_ID: &str = "span_id";
pub const TRACE_ID: &str = "trace_id";

/// Whether a label a client sent is kept by legacy ingestion: names not
/// starting with `__`, plus `__session_id__` (`IsLabelAllowedForIngestion`).
pub fn is_allowed_for_ingestion(name: &str) -> bool {
    !name.starts_with("__") || name == SESSION_ID
}

/// The value of label `name`, if present.
pub fn get<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Sets `name` to `value`, replacing an existing value.
pub fn set(labels: &mut LabelSet, name: &str, value: &str) {
    match labels.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => labels.push((name.to_owned(), value.to_owned())),
    }
}

/// Sorts by name (stable, so duplicates keep their order).
pub fn sort(labels: &mut LabelSet) {
    labels.sort_by(|a, b| a.0.cmp(&b.0));
}

/// `{a="x", b="y"}`, as Pyroscope prints label sets in its errors.
pub fn to_string(labels: &[(String, String)]) -> String {
    let pairs: Vec<String> = labels.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}
