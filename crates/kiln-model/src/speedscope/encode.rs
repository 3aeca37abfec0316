//! speedscope export: one sampled profile over shared frames.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::profile::Profile;

const SCHEMA: &str = "https://www.speedscope.app/file-format-schema.json";

#[derive(Serialize)]
struct File<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    shared: Shared<'a>,
    profiles: [Sampled<'a>; 1],
    name: &'a str,
    #[serde(rename = "activeProfileIndex")]
    active_profile_index: u32,
    exporter: &'static str,
}

#[derive(Serialize)]
struct Shared<'a> {
    frames: Vec<Frame<'a>>,
}

#[derive(Serialize)]
struct Frame<'a> {
    name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sampled<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'a str,
    unit: &'static str,
    start_value: i64,
    end_value: i64,
    samples: Vec<Vec<usize>>,
    weights: Vec<i64>,
}

/// Encodes one sample type of a profile as a speedscope JSON file named
/// `name`: one sampled profile, stacks root first over shared frames (one
/// per function and line, inlined frames expanded), weights in the sample
/// type's unit (`none` unless it is a time unit or `bytes`). Samples with a
/// value of zero or less are left out.
pub fn encode(profile: &Profile, sample_type: usize, name: &str) -> String {
    let mut frames =
        Frames { profile, frames: Vec::new(), index: FxHashMap::default(), by_address: FxHashMap::default() };
    let (mut samples, mut weights) = (Vec::new(), Vec::new());
    for sample in &profile.samples {
        let value = sample.values.get(sample_type).copied().unwrap_or(0);
        if value <= 0 {
            continue;
        }
        let mut stack = Vec::with_capacity(sample.locations.len());
        for &loc in sample.locations.iter().rev() {
            frames.push_location(loc, &mut stack);
        }
        samples.push(stack);
        weights.push(value);
    }
    let unit_name = profile.sample_types.get(sample_type).map_or("", |vt| profile.str(vt.unit));
    let sampled = Sampled {
        ty: "sampled",
        name,
        unit: unit(unit_name),
        start_value: 0,
        end_value: weights.iter().fold(0i64, |a, &w| a.saturating_add(w)),
        samples,
        weights,
    };
    let file = File {
        schema: SCHEMA,
        shared: Shared { frames: frames.frames },
        profiles: [sampled],
        name,
        active_profile_index: 0,
        exporter: "kiln",
    };
    serde_json::to_string(&file).expect("plain structs with string keys always serialize")
}

/// The speedscope unit for a sample type's unit.
fn unit(unit: &str) -> &'static str {
    match unit {
        "nanoseconds" => "nanoseconds",
        "microseconds" => "microseconds",
        "milliseconds" => "milliseconds",
        "seconds" => "seconds",
        "bytes" => "bytes",
        _ => "none",
    }
}

/// The shared frame table being built.
struct Frames<'a> {
    profile: &'a Profile,
    frames: Vec<Frame<'a>>,
    /// `(function, line)` to frame index.
    index: FxHashMap<(u32, i64), usize>,
    /// Frames of locations without lines, named by address.
    by_address: FxHashMap<u64, usize>,
}

impl<'a> Frames<'a> {
    /// Appends a location's frames, outermost first, to a root-first stack.
    fn push_location(&mut self, loc: u64, stack: &mut Vec<usize>) {
        let profile = self.profile;
        let location = &profile.locations[loc as usize];
        if location.lines.is_empty() {
            let next = self.frames.len();
            let i = *self.by_address.entry(location.address).or_insert(next);
            if i == next {
                let name = Cow::Owned(format!("0x{:x}", location.address));
                self.frames.push(Frame { name, file: None, line: None });
            }
            stack.push(i);
            return;
        }
        for line in location.lines.iter().rev() {
            let next = self.frames.len();
            let i = *self.index.entry((line.function, line.line)).or_insert(next);
            if i == next {
                let function = &profile.functions[line.function as usize];
                let file = Some(profile.str(function.filename)).filter(|f| !f.is_empty());
                let line = Some(line.line).filter(|&l| l != 0);
                self.frames.push(Frame { name: Cow::Borrowed(profile.str(function.name)), file, line });
            }
            stack.push(i);
        }
    }
}
