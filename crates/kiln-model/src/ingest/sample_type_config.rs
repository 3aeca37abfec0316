//! The `sample_type_config` field of a multipart pprof upload
//! (`pkg/og/convert/pprof/profile.go`, struct `SampleTypeConfig` of
//! `pkg/og/storage/tree/pprof.go`).
//!
//! What it changes in Pyroscope v1/v2 is only the `__name__` of the upload:
//! a sample type's `display-name` is what the metric-name rules look at.
//! The pushed profile itself is unchanged: `display-name` does not rename
//! its sample type, no sample type is dropped, and `units`, `aggregation`,
//! `cumulative` and `sampled` have no effect (they drove the v0 storage).
//! A config, when sent, replaces the default mapping entirely; JSON `null`
//! counts as not sent.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Position, Result};
use crate::profile::Profile;
use crate::profile_type::{default_sample_type_config, pprof_metric_name, SampleTypeConfig};

const FORMAT: &str = "sample_type_config";

/// A parsed config: pprof sample-type name to its settings.
pub type SampleTypeConfigs = BTreeMap<String, SampleTypeConfig>;

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    units: String,
    #[serde(default, rename = "display-name")]
    display_name: String,
    #[serde(default)]
    aggregation: String,
    #[serde(default)]
    cumulative: bool,
    #[serde(default)]
    sampled: bool,
}

/// Parses the field's JSON; `Ok(None)` for `null`. Entries whose value is
/// `null` are left out, as Pyroscope ignores nil entries.
pub fn parse(json: &[u8]) -> Result<Option<SampleTypeConfigs>> {
    let raw: Option<BTreeMap<String, Option<Entry>>> = serde_json::from_slice(json)
        .map_err(|e| Error::malformed(FORMAT, Position::Line(e.line() as u64), format!("invalid JSON: {e}")))?;
    Ok(raw.map(|m| m.into_iter().filter_map(|(k, e)| Some((k, config(e?)))).collect()))
}

fn config(e: Entry) -> SampleTypeConfig {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    SampleTypeConfig {
        units: e.units,
        display_name: non_empty(e.display_name),
        aggregation: non_empty(e.aggregation),
        cumulative: e.cumulative,
        sampled: e.sampled,
    }
}

/// The name the metric-name rules see for a sample type: its
/// `display-name` from `config` (or from the default mapping when no
/// config was sent), else the sample type itself.
pub fn display_name(sample_type: &str, config: Option<&SampleTypeConfigs>) -> String {
    let configured = match config {
        Some(c) => c.get(sample_type).and_then(|c| c.display_name.clone()),
        None => default_sample_type_config(sample_type).and_then(|c| c.display_name),
    };
    configured.unwrap_or_else(|| sample_type.to_owned())
}

/// The `__name__` Pyroscope gives a pprof upload (`metricName`): `wall`
/// when a sample type is literally `wall`; else the first display name
/// that the rules of [`pprof_metric_name`] recognise; else, as Pyroscope
/// falls through, the last display name (empty for no sample types).
pub fn metric_name(profile: &Profile, config: Option<&SampleTypeConfigs>) -> String {
    let types = || profile.sample_types.iter().map(|vt| profile.str(vt.ty));
    if types().any(|t| t == "wall") {
        return "wall".into();
    }
    let mut last = String::new();
    for t in types() {
        let name = display_name(t, config);
        // Only a raw `wall` type means wall here; a display name `wall`
        // matches none of the rules in Pyroscope's second loop.
        if name != "wall" {
            if let Some(metric) = pprof_metric_name(std::iter::once(name.as_str())) {
                return metric.into();
            }
        }
        last = name;
    }
    last
}
