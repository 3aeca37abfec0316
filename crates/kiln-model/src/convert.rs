//! Bytes in one format to bytes in another: what `kiln convert` does,
//! minus the file handling.

use crate::detect::{self, Decoded, Format};
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::profile_type::ProfileType;
use crate::tree::Tree;
use crate::{flamebearer, flamegraph, folded, pprof, speedscope};

/// Formats `convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Pprof,
    Folded,
    Speedscope,
    Flamebearer,
}

impl OutputFormat {
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        Some(match name {
            "pprof" => OutputFormat::Pprof,
            "folded" | "collapsed" => OutputFormat::Folded,
            "speedscope" => OutputFormat::Speedscope,
            "flamebearer" | "json" => OutputFormat::Flamebearer,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// The input format; detected from the content when `None`.
    pub from: Option<Format>,
    pub to: OutputFormat,
    /// Which decoded profile to write when the input holds several (JFR).
    pub profile: Option<String>,
    /// Which sample type to write for single-valued outputs.
    pub sample_type: Option<String>,
    /// Flame graph node limit for flamebearer output; < 1 keeps all.
    pub max_nodes: i64,
}

/// Converts `data`; returns the output bytes.
pub fn convert(data: &[u8], opts: &ConvertOptions) -> Result<Vec<u8>> {
    let (decoded, st) = select(data, opts)?;
    let p = &decoded.profile;
    Ok(match opts.to {
        OutputFormat::Pprof => pprof::encode_gzip(p),
        OutputFormat::Folded => folded::encode(p, st).into_bytes(),
        OutputFormat::Speedscope => speedscope::encode(p, st, &decoded.name).into_bytes(),
        OutputFormat::Flamebearer => {
            let fg = flamegraph::flame_graph(&Tree::from_profile(p, st), opts.max_nodes);
            flamebearer::to_json(&flamebearer::single(&fg, &profile_type(&decoded.name, p, st))).into_bytes()
        }
    })
}

/// Decodes `data` and picks the profile and sample type the options name
/// (`opts.to` is not used): the first step of every conversion.
pub fn select(data: &[u8], opts: &ConvertOptions) -> Result<(Decoded, usize)> {
    let from = match opts.from {
        Some(f) => f,
        None => detect::detect(data)?,
    };
    let decoded = pick_profile(detect::decode(from, data)?, opts.profile.as_deref())?;
    let st = sample_type_index(&decoded.profile, opts.sample_type.as_deref())?;
    Ok((decoded, st))
}

fn pick_profile(mut decoded: Vec<Decoded>, name: Option<&str>) -> Result<Decoded> {
    let names = || decoded.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ");
    let i = match name {
        Some(n) => decoded
            .iter()
            .position(|d| d.name == n)
            .ok_or_else(|| Error::invalid("convert", format!("no profile named {n:?}; the input has: {}", names())))?,
        None if decoded.is_empty() => return Err(Error::invalid("convert", "the input holds no profile")),
        None => 0,
    };
    Ok(decoded.swap_remove(i))
}

/// The requested sample type, else the profile's default, else the last
/// one (as `go tool pprof` picks).
pub fn sample_type_index(p: &Profile, name: Option<&str>) -> Result<usize> {
    if p.sample_types.is_empty() {
        return Err(Error::invalid("convert", "the profile has no sample types"));
    }
    if let Some(n) = name {
        return p.sample_type_index(n).ok_or_else(|| {
            let have: Vec<&str> = p.sample_types.iter().map(|vt| p.str(vt.ty)).collect();
            Error::invalid("convert", format!("no sample type {n:?}; the profile has: {}", have.join(", ")))
        });
    }
    let default = p.str(p.default_sample_type);
    Ok(p.sample_type_index(default).filter(|_| !default.is_empty()).unwrap_or(p.sample_types.len() - 1))
}

/// The profile type of one sample type of a decoded profile.
pub fn profile_type(name: &str, p: &Profile, st: usize) -> ProfileType {
    let (ty, unit) = p.value_type(p.sample_types[st]);
    let (pty, punit) = p.value_type(p.period_type);
    ProfileType::new(name, (ty, unit), (pty, punit))
}
