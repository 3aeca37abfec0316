//! The top level of a speedscope file, read as a stream: every check runs
//! while serde_json is still at the offending value, so its errors carry the
//! position.
//!
//! Stacks go into a trie of `(parent, frame index)` nodes shared by all
//! profiles; each profile yields `(node, value)` pairs.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::profile::ProfileSeed;

/// The parent of top-level trie nodes.
pub(super) const ROOT: u32 = u32::MAX;

/// One entry of `shared.frames`.
#[derive(Debug, Deserialize)]
pub(super) struct Frame {
    pub name: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub line: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Shared {
    frames: Vec<Frame>,
}

/// Stacks as `(parent, frame)` nodes; a node id stands for a whole stack.
#[derive(Debug, Default)]
pub(super) struct Trie {
    pub nodes: Vec<(u32, u64)>,
    index: FxHashMap<(u32, u64), u32>,
}

impl Trie {
    /// The node of `parent`'s child `frame`, created if absent.
    pub(super) fn child<E: de::Error>(&mut self, parent: u32, frame: u64) -> Result<u32, E> {
        if let Some(&n) = self.index.get(&(parent, frame)) {
            return Ok(n);
        }
        let n =
            u32::try_from(self.nodes.len()).ok().filter(|&n| n != ROOT).ok_or_else(|| E::custom("too many stacks"))?;
        self.nodes.push((parent, frame));
        self.index.insert((parent, frame), n);
        Ok(n)
    }
}

/// The units speedscope knows, with what Kiln records them as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Bytes,
    None,
}

impl Unit {
    pub(super) fn parse<E: de::Error>(s: &str) -> Result<Unit, E> {
        Ok(match s {
            "nanoseconds" => Unit::Nanoseconds,
            "microseconds" => Unit::Microseconds,
            "milliseconds" => Unit::Milliseconds,
            "seconds" => Unit::Seconds,
            "bytes" => Unit::Bytes,
            "none" => Unit::None,
            _ => return Err(E::custom(format!("unknown unit {s:?}"))),
        })
    }

    /// The `(type, unit)` sample type this unit is recorded as.
    pub fn sample_type(self) -> (&'static str, &'static str) {
        match self {
            Unit::Bytes => ("space", "bytes"),
            Unit::None => ("samples", "count"),
            _ => ("cpu", "nanoseconds"),
        }
    }

    /// How many of the sample type's unit one of this unit is.
    pub(super) fn scale(self) -> u64 {
        match self {
            Unit::Microseconds => 1_000,
            Unit::Milliseconds => 1_000_000,
            Unit::Seconds => 1_000_000_000,
            _ => 1,
        }
    }
}

/// One profile of the file: its unit and `(stack node, value)` pairs, the
/// values already converted to the sample type's unit.
#[derive(Debug)]
pub(super) struct ParsedProfile {
    pub unit: Unit,
    pub values: Vec<(u32, i64)>,
}

/// Everything read from a file.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    pub frames: Vec<Frame>,
    pub profiles: Vec<ParsedProfile>,
    pub trie: Trie,
}

/// Reads a whole file. With `frame_count` known up front, every frame index
/// is checked where it is read; otherwise only those read after
/// `shared.frames` are, and the caller checks the trie afterwards.
pub(super) struct FileSeed {
    pub frame_count: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for FileSeed {
    type Value = Parsed;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum FileKey {
    Shared,
    Profiles,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for FileSeed {
    type Value = Parsed;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a speedscope file object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut parsed = Parsed::default();
        let (mut shared, mut profiles) = (false, false);
        while let Some(key) = map.next_key::<FileKey>()? {
            match key {
                FileKey::Shared => {
                    parsed.frames = map.next_value::<Shared>()?.frames;
                    shared = true;
                }
                FileKey::Profiles => {
                    let frame_count = self.frame_count.or(shared.then_some(parsed.frames.len()));
                    let seed = ProfilesSeed { trie: &mut parsed.trie, frame_count };
                    parsed.profiles = map.next_value_seed(seed)?;
                    profiles = true;
                }
                FileKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (shared, profiles) {
            (false, _) => Err(de::Error::missing_field("shared")),
            (_, false) => Err(de::Error::missing_field("profiles")),
            _ => Ok(parsed),
        }
    }
}

struct ProfilesSeed<'t> {
    trie: &'t mut Trie,
    frame_count: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for ProfilesSeed<'_> {
    type Value = Vec<ParsedProfile>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ProfilesSeed<'_> {
    type Value = Vec<ParsedProfile>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of profiles")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let seed = ProfileSeed { trie: &mut *self.trie, frame_count: self.frame_count };
            match seq.next_element_seed(seed)? {
                Some(p) => out.push(p),
                None => return Ok(out),
            }
        }
    }
}
