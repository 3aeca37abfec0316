//! Flamebearer JSON, the format of Pyroscope's `/render` API and of v0
//! adhoc files: `single` (4 values per node) and `double` (7, a diff).
//! Field order and names follow Pyroscope's `FlamebearerProfile` so the
//! encoding matches byte for byte.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Position, Result};
use crate::pb::querier::v1::{FlameGraph, FlameGraphDiff};
use crate::profile_type::ProfileType;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlamebearerProfile {
    pub version: u32,
    pub flamebearer: Flamebearer,
    pub metadata: Metadata,
    #[serde(default)]
    pub timeline: Option<Timeline>,
    #[serde(default)]
    pub groups: Option<std::collections::BTreeMap<String, Timeline>>,
    #[serde(default)]
    pub heatmap: Option<serde_json::Value>,
    #[serde(rename = "leftTicks", default, skip_serializing_if = "is_zero")]
    pub left_ticks: u64,
    #[serde(rename = "rightTicks", default, skip_serializing_if = "is_zero")]
    pub right_ticks: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flamebearer {
    pub names: Vec<String>,
    pub levels: Vec<Vec<i64>>,
    #[serde(rename = "numTicks")]
    pub num_ticks: i64,
    #[serde(rename = "maxSelf")]
    pub max_self: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub format: String,
    #[serde(rename = "spyName", default)]
    pub spy_name: String,
    #[serde(rename = "sampleRate", default)]
    pub sample_rate: u32,
    #[serde(default)]
    pub units: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    #[serde(rename = "startTime")]
    pub start_time: i64,
    pub samples: Vec<u64>,
    #[serde(rename = "durationDelta")]
    pub duration_delta: i64,
    pub watermarks: Option<std::collections::BTreeMap<String, i64>>,
}

/// The flamebearer `units` of a profile type, as Pyroscope's
/// `ExportToFlamebearer` picks them.
fn units(pt: &ProfileType) -> String {
    match pt.sample_type.as_str() {
        "inuse_objects" | "alloc_objects" | "goroutine" | "samples" => "objects".into(),
        "cpu" => "samples".into(),
        _ => pt.sample_unit.clone(),
    }
}

/// A `single` flamebearer of a flame graph, with Pyroscope's
/// `ExportToFlamebearer` units and sample rate (1e9 for `cpu`, else 100).
pub fn single(fg: &FlameGraph, pt: &ProfileType) -> FlamebearerProfile {
    FlamebearerProfile {
        version: 1,
        flamebearer: Flamebearer {
            names: fg.names.clone(),
            levels: fg.levels.iter().map(|l| l.values.clone()).collect(),
            num_ticks: fg.total,
            max_self: fg.max_self,
        },
        metadata: Metadata {
            format: "single".into(),
            spy_name: String::new(),
            // CPU values are nanoseconds: a rate of 1e9 turns them into seconds.
            sample_rate: if pt.sample_type == "cpu" { 1_000_000_000 } else { 100 },
            units: units(pt),
            name: pt.sample_type.clone(),
        },
        timeline: None,
        groups: None,
        heatmap: None,
        left_ticks: 0,
        right_ticks: 0,
    }
}

/// A `double` flamebearer of a diff flame graph.
pub fn double(fg: &FlameGraphDiff, pt: &ProfileType) -> FlamebearerProfile {
    let single_fg =
        FlameGraph { names: fg.names.clone(), levels: fg.levels.clone(), total: fg.total, max_self: fg.max_self };
    let mut fb = single(&single_fg, pt);
    fb.metadata.format = "double".into();
    fb.left_ticks = fg.left_ticks.max(0) as u64;
    fb.right_ticks = fg.right_ticks.max(0) as u64;
    fb
}

/// Serialises compactly, as Go's `encoding/json` does, including its
/// escaping of `<`, `>`, `&`, U+2028 and U+2029 (they only occur inside
/// strings, so replacing them in the output is exact).
pub fn to_json(fb: &FlamebearerProfile) -> String {
    let json = serde_json::to_string(fb).expect("flamebearer serialises");
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Parses flamebearer JSON and checks its levels are well formed.
pub fn from_json(data: &[u8]) -> Result<FlamebearerProfile> {
    let fb: FlamebearerProfile = serde_json::from_slice(data)
        .map_err(|e| Error::malformed("flamebearer", Position::Line(e.line() as u64), e.to_string()))?;
    let width = match fb.metadata.format.as_str() {
        "single" => 4,
        "double" => 7,
        f => return Err(Error::malformed("flamebearer", Position::None, format!("unsupported format {f:?}"))),
    };
    for (d, l) in fb.flamebearer.levels.iter().enumerate() {
        if l.len() % width != 0 {
            return Err(Error::malformed(
                "flamebearer",
                Position::None,
                format!("level {d} has {} values, not a multiple of {width}", l.len()),
            ));
        }
        if l.chunks_exact(width).any(|n| n[width - 1] < 0 || n[width - 1] as usize >= fb.flamebearer.names.len()) {
            return Err(Error::malformed(
                "flamebearer",
                Position::None,
                format!("level {d} has a name index out of range"),
            ));
        }
    }
    Ok(fb)
}
