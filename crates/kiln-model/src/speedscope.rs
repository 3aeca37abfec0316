//! speedscope JSON import and export.
//!
//! Import reads the speedscope file format
//! (<https://www.speedscope.app/file-format-schema.json>), as written by
//! speedscope itself, py-spy and others: every profile of the file, sampled
//! or evented, is merged into one [`Profile`]. Time units become
//! `cpu`/`nanoseconds` (values converted), `bytes` becomes `space`/`bytes`
//! and `none` becomes `samples`/`count`; files mixing them get one sample
//! type for each. Frames keep their `file` and `line`.
//!
//! Export writes one sampled profile over shared frames.

mod encode;
mod events;
mod file;
mod profile;

pub use encode::encode;

use rustc_hash::FxHashMap;
use serde::de::DeserializeSeed;

use crate::builder::ProfileBuilder;
use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;
use file::{FileSeed, Frame, Parsed};

const FORMAT: &str = "speedscope";

/// Decodes a speedscope JSON file (optionally gzip-compressed).
pub fn decode(data: &[u8]) -> Result<Profile> {
    let data = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let parsed = parse(&data, None)?;
    let frame_count = parsed.frames.len();
    if let Some(&(_, bad)) = parsed.trie.nodes.iter().find(|(_, frame)| *frame >= frame_count as u64) {
        // The frames came after the profiles: read again knowing their
        // number, so that the error carries the index's position.
        parse(&data, Some(frame_count))?;
        return Err(Error::malformed(FORMAT, Position::None, format!("frame index {bad} is out of range")));
    }
    build(&parsed, data.len())
}

fn parse(data: &[u8], frame_count: Option<usize>) -> Result<Parsed> {
    let mut de = serde_json::Deserializer::from_slice(data);
    let parsed = FileSeed { frame_count }.deserialize(&mut de).and_then(|p| de.end().map(|()| p));
    parsed.map_err(|e| json_error(data, &e))
}

/// A serde_json error as ours, its line and column turned into a byte offset.
fn json_error(data: &[u8], e: &serde_json::Error) -> Error {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    if e.line() == 0 {
        return Error::malformed(FORMAT, Position::None, message);
    }
    let line_start = match e.line() {
        1 => 0,
        l => data.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(l - 2).map_or(data.len(), |(i, _)| i + 1),
    };
    Error::malformed(FORMAT, Position::Byte((line_start + e.column()) as u64), message)
}

/// Turns the parsed stacks into a profile. Each distinct stack is emitted
/// once per sample type; their frames together may not exceed twice the
/// input size, which bounds what deep evented files can expand to.
fn build(parsed: &Parsed, input_len: usize) -> Result<Profile> {
    let mut types: Vec<(&str, &str)> = Vec::new();
    for p in &parsed.profiles {
        if !types.contains(&p.unit.sample_type()) {
            types.push(p.unit.sample_type());
        }
    }
    if types.is_empty() {
        types.push(("samples", "count"));
    }
    let mut sums: FxHashMap<(u32, usize), i64> = FxHashMap::default();
    let mut order = Vec::new();
    for p in &parsed.profiles {
        let column = types.iter().position(|t| *t == p.unit.sample_type()).unwrap_or(0);
        for &(node, value) in &p.values {
            let sum = sums.entry((node, column)).or_insert_with(|| {
                order.push((node, column));
                0
            });
            *sum = sum.saturating_add(value);
        }
    }
    let mut b = ProfileBuilder::new(&types, types[0], 0);
    let mut locations = vec![None; parsed.frames.len()];
    let mut budget = input_len.saturating_mul(2);
    let mut values = vec![0; types.len()];
    for key @ (node, column) in order {
        let stack = leaf_first(parsed, node, &mut locations, &mut b);
        budget = budget.checked_sub(stack.len()).ok_or_else(|| Error::too_large(FORMAT, "stacks expand too far"))?;
        values.fill(0);
        values[column] = sums[&key];
        b.add_sample(stack, &values, Vec::new());
    }
    Ok(b.build())
}

/// The location ids of a trie node's stack, leaf first (the root node,
/// `u32::MAX`, is past the end of the node table).
fn leaf_first(parsed: &Parsed, mut node: u32, locations: &mut [Option<u64>], b: &mut ProfileBuilder) -> Vec<u64> {
    let mut stack = Vec::new();
    while let Some(&(parent, frame)) = parsed.trie.nodes.get(node as usize) {
        let i = frame as usize;
        let loc = *locations[i].get_or_insert_with(|| location(b, &parsed.frames[i]));
        stack.push(loc);
        node = parent;
    }
    stack
}

fn location(b: &mut ProfileBuilder, frame: &Frame) -> u64 {
    let function = b.function(&frame.name, frame.file.as_deref().unwrap_or(""));
    let line = frame.line.filter(|l| l.is_finite()).map_or(0, |l| l as i64);
    b.function_location(function, line)
}
