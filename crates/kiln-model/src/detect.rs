//! Recognising a profile's format from its bytes, and decoding any format
//! into named profiles (JFR files hold several).

use crate::error::{Error, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;
use crate::profile_type::{default_sample_type_config, pprof_metric_name};
use crate::{flamebearer, flamegraph, folded, jfr, lines, perf_script, pprof, speedscope, tree_format, trie};

/// Every format Kiln can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pprof,
    Jfr,
    Speedscope,
    Flamebearer,
    PerfScript,
    Folded,
    Lines,
    Tree,
    Trie,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Pprof,
        Format::Jfr,
        Format::Speedscope,
        Format::Flamebearer,
        Format::PerfScript,
        Format::Folded,
        Format::Lines,
        Format::Tree,
        Format::Trie,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Pprof => "pprof",
            Format::Jfr => "jfr",
            Format::Speedscope => "speedscope",
            Format::Flamebearer => "flamebearer",
            Format::PerfScript => "perf_script",
            Format::Folded => "folded",
            Format::Lines => "lines",
            Format::Tree => "tree",
            Format::Trie => "trie",
        }
    }

    /// Parses a format name; `collapsed` is an alias of `folded`.
    pub fn from_name(name: &str) -> Option<Format> {
        let name = if name == "collapsed" { "folded" } else { name };
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One decoded profile and the `__name__` it goes by (`process_cpu`,
/// `memory`, `mutex`, ...).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub name: String,
    pub profile: Profile,
}

/// Guesses the format from the content (gzip is looked through). The
/// binary `tree` and `trie` formats cannot be told from bytes alone.
pub fn detect(data: &[u8]) -> Result<Format> {
    let raw = maybe_gunzip("input", data, MAX_DECOMPRESSED_BYTES)?;
    let raw = raw.as_ref();
    if raw.starts_with(b"FLR\0") {
        return Ok(Format::Jfr);
    }
    let text = raw.trim_ascii_start();
    if text.starts_with(b"{") {
        return detect_json(text);
    }
    if let Ok(s) = std::str::from_utf8(raw) {
        if !s.contains('\0') {
            return Ok(detect_text(s));
        }
    }
    if pprof::decode(raw).is_ok_and(|p| !p.sample_types.is_empty()) {
        return Ok(Format::Pprof);
    }
    Err(Error::unknown_format("not pprof, JFR, JSON or text; for the binary tree or trie formats name the format"))
}

fn detect_json(text: &[u8]) -> Result<Format> {
    let head = &text[..text.len().min(4096)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"\"flamebearer\"") {
        return Ok(Format::Flamebearer);
    }
    if has(b"speedscope") || (has(b"\"shared\"") && has(b"\"profiles\"")) {
        return Ok(Format::Speedscope);
    }
    Err(Error::unknown_format("JSON that is neither speedscope nor flamebearer"))
}

fn detect_text(s: &str) -> Format {
    let mut lines = s.lines().filter(|l| !l.trim().is_empty());
    let Some(first) = lines.next() else { return Format::Folded };
    if !first.starts_with(char::is_whitespace) && lines.next().is_some_and(|l| l.starts_with(char::is_whitespace)) {
        return Format::PerfScript;
    }
    // Judged by the first line, so a later malformed line is reported as a
    // folded error at its line rather than read as another format.
    let counted = first.trim_end().rsplit_once(' ').is_some_and(|(_, n)| n.parse::<i64>().is_ok());
    if counted {
        Format::Folded
    } else {
        Format::Lines
    }
}

/// The `__name__` Pyroscope would give a profile from its sample types
/// (through the default sample-type display names); `process_cpu` when
/// nothing matches.
pub fn metric_name(p: &Profile) -> &'static str {
    let display: Vec<String> = p
        .sample_types
        .iter()
        .map(|vt| {
            let ty = p.str(vt.ty);
            default_sample_type_config(ty).and_then(|c| c.display_name).unwrap_or_else(|| ty.to_owned())
        })
        .collect();
    pprof_metric_name(display.iter().map(String::as_str)).unwrap_or("process_cpu")
}

/// Decodes `data` as `format` into one or more named profiles.
pub fn decode(format: Format, data: &[u8]) -> Result<Vec<Decoded>> {
    let one = |profile: Profile| Ok(vec![Decoded { name: metric_name(&profile).into(), profile }]);
    match format {
        Format::Pprof => one(pprof::decode(data)?),
        Format::Folded => one(folded::decode(data)?),
        Format::Lines => one(lines::decode(data)?),
        Format::Tree => one(tree_format::decode(data)?),
        Format::Trie => one(trie::decode(data)?),
        Format::Speedscope => one(speedscope::decode(data)?),
        Format::PerfScript => one(perf_script::decode(data)?),
        Format::Flamebearer => one(decode_flamebearer(data)?),
        Format::Jfr => {
            Ok(jfr::decode(data)?.into_iter().map(|j| Decoded { name: j.name, profile: j.profile }).collect())
        }
    }
}

/// Detects the format, then decodes.
pub fn decode_any(data: &[u8]) -> Result<(Format, Vec<Decoded>)> {
    let format = detect(data)?;
    Ok((format, decode(format, data)?))
}

fn decode_flamebearer(data: &[u8]) -> Result<Profile> {
    let raw = maybe_gunzip("flamebearer", data, MAX_DECOMPRESSED_BYTES)?;
    let fb = flamebearer::from_json(&raw)?;
    if fb.metadata.format != "single" {
        return Err(Error::invalid("flamebearer", "a diff (double) flamebearer cannot be read as one profile"));
    }
    let tree = flamegraph::tree_from_levels(&fb.flamebearer.names, &fb.flamebearer.levels, 4)?;
    let unit = if fb.metadata.units == "bytes" { "bytes" } else { "count" };
    let ty = if fb.metadata.name.is_empty() { "samples" } else { fb.metadata.name.as_str() };
    Ok(tree.to_profile((ty, unit)))
}
