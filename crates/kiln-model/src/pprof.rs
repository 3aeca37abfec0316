//! pprof: decode (gzipped or not) into the model and encode back.
//!
//! Decoding is a prost decode of our own `.proto` followed by a validating
//! pass that turns pprof's ids into dense indices in place, moving every
//! vector rather than copying it.

use prost::Message;
use rustc_hash::FxHashMap;

use crate::error::{Error, Position, Result};
use crate::gzip::{gzip, maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::pb::google::v1 as pb;
use crate::profile::{Function, Label, Line, Location, Mapping, Profile, Sample, StrId, ValueType};

const FORMAT: &str = "pprof";

/// Decodes a pprof profile, gzipped or not, with the default size bound.
pub fn decode(data: &[u8]) -> Result<Profile> {
    decode_with_limit(data, MAX_DECOMPRESSED_BYTES)
}

/// Decodes a pprof profile, refusing more than `limit` decompressed bytes
/// and a message that would take more memory than its size allows
/// ([`wire_bound`](crate::wire_bound)).
pub fn decode_with_limit(data: &[u8], limit: usize) -> Result<Profile> {
    let raw = maybe_gunzip(FORMAT, data, limit)?;
    crate::wire_bound::check(FORMAT, &raw, &crate::pprof_shape::PROFILE)?;
    let msg = pb::Profile::decode(raw.as_ref()).map_err(|e| Error::malformed(FORMAT, Position::None, e.to_string()))?;
    from_message(msg)
}

/// Encodes a profile as uncompressed pprof bytes.
pub fn encode(profile: &Profile) -> Vec<u8> {
    to_message(profile).encode_to_vec()
}

/// Encodes a profile as gzipped pprof bytes, as `go tool pprof` writes them.
pub fn encode_gzip(profile: &Profile) -> Vec<u8> {
    gzip(&encode(profile))
}

fn bad(message: String) -> Error {
    Error::malformed(FORMAT, Position::None, message)
}

/// Maps pprof ids (usually 1..=n) to dense indices.
struct IdMap {
    dense: bool,
    len: usize,
    map: FxHashMap<u64, u32>,
}

impl IdMap {
    fn new(what: &str, ids: impl Iterator<Item = u64>) -> Result<IdMap> {
        let ids: Vec<u64> = ids.collect();
        let dense = ids.iter().enumerate().all(|(i, &id)| id == i as u64 + 1);
        let mut map = FxHashMap::default();
        if !dense {
            for (i, &id) in ids.iter().enumerate() {
                if id == 0 || map.insert(id, i as u32).is_some() {
                    return Err(bad(format!("{what} id {id} is zero or repeated")));
                }
            }
        }
        Ok(IdMap { dense, len: ids.len(), map })
    }

    fn get(&self, what: &str, id: u64) -> Result<u32> {
        let idx = if self.dense {
            (id >= 1 && id <= self.len as u64).then(|| (id - 1) as u32)
        } else {
            self.map.get(&id).copied()
        };
        idx.ok_or_else(|| bad(format!("unknown {what} id {id}")))
    }
}

struct Strings(usize);

impl Strings {
    fn id(&self, what: &str, i: i64) -> Result<StrId> {
        if i < 0 || i as usize >= self.0 {
            return Err(bad(format!("{what} string index {i} out of range (table has {})", self.0)));
        }
        Ok(i as StrId)
    }

    fn vt(&self, vt: Option<pb::ValueType>) -> Result<ValueType> {
        let vt = vt.unwrap_or_default();
        Ok(ValueType { ty: self.id("value type", vt.r#type)?, unit: self.id("value unit", vt.unit)? })
    }
}

/// The model of a decoded prost message: ids checked and made dense, as
/// [`decode`] does after parsing the bytes.
pub fn from_message(msg: pb::Profile) -> Result<Profile> {
    let mut strings_table: Vec<String> = msg.string_table.into_iter().map(utf8_lossy).collect();
    if strings_table.is_empty() {
        strings_table.push(String::new());
    }
    if !strings_table[0].is_empty() {
        return Err(bad("string_table[0] must be the empty string".into()));
    }
    let st = Strings(strings_table.len());
    let sample_types = msg.sample_type.into_iter().map(|vt| st.vt(Some(vt))).collect::<Result<Vec<_>>>()?;
    let mapping_ids = IdMap::new("mapping", msg.mapping.iter().map(|m| m.id))?;
    let function_ids = IdMap::new("function", msg.function.iter().map(|f| f.id))?;
    let location_ids = IdMap::new("location", msg.location.iter().map(|l| l.id))?;
    let mappings = msg.mapping.into_iter().map(|m| mapping(&st, m)).collect::<Result<Vec<_>>>()?;
    let functions = msg.function.into_iter().map(|f| function(&st, f)).collect::<Result<Vec<_>>>()?;
    let locations =
        msg.location.into_iter().map(|l| location(&mapping_ids, &function_ids, l)).collect::<Result<Vec<_>>>()?;
    let n_types = sample_types.len();
    let samples = msg
        .sample
        .into_iter()
        .enumerate()
        .map(|(i, s)| sample(&st, &location_ids, n_types, i, s))
        .collect::<Result<Vec<_>>>()?;
    Ok(Profile {
        sample_types,
        samples,
        mappings,
        locations,
        functions,
        drop_frames: st.id("drop_frames", msg.drop_frames)?,
        keep_frames: st.id("keep_frames", msg.keep_frames)?,
        time_nanos: msg.time_nanos,
        duration_nanos: msg.duration_nanos,
        period_type: st.vt(msg.period_type)?,
        period: msg.period,
        comments: msg.comment.into_iter().map(|c| st.id("comment", c)).collect::<Result<Vec<_>>>()?,
        default_sample_type: st.id("default_sample_type", msg.default_sample_type)?,
        strings: strings_table,
    })
}

/// Takes the bytes as they are when valid UTF-8 (no copy), else replaces
/// invalid sequences.
fn utf8_lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn mapping(st: &Strings, m: pb::Mapping) -> Result<Mapping> {
    Ok(Mapping {
        memory_start: m.memory_start,
        memory_limit: m.memory_limit,
        file_offset: m.file_offset,
        filename: st.id("mapping filename", m.filename)?,
        build_id: st.id("mapping build_id", m.build_id)?,
        has_functions: m.has_functions,
        has_filenames: m.has_filenames,
        has_line_numbers: m.has_line_numbers,
        has_inline_frames: m.has_inline_frames,
    })
}

fn function(st: &Strings, f: pb::Function) -> Result<Function> {
    Ok(Function {
        name: st.id("function name", f.name)?,
        system_name: st.id("function system_name", f.system_name)?,
        filename: st.id("function filename", f.filename)?,
        start_line: f.start_line,
    })
}

fn location(mappings: &IdMap, functions: &IdMap, l: pb::Location) -> Result<Location> {
    let mapping = if l.mapping_id == 0 { None } else { Some(mappings.get("mapping", l.mapping_id)?) };
    let lines = l
        .line
        .into_iter()
        .map(|ln| Ok(Line { function: functions.get("function", ln.function_id)?, line: ln.line, column: ln.column }))
        .collect::<Result<Vec<_>>>()?;
    Ok(Location { mapping, address: l.address, lines, is_folded: l.is_folded })
}

fn sample(st: &Strings, locations: &IdMap, n_types: usize, i: usize, s: pb::Sample) -> Result<Sample> {
    if s.value.len() != n_types {
        return Err(bad(format!("sample {i} has {} values, expected {n_types}", s.value.len())));
    }
    let mut locs = s.location_id;
    for id in locs.iter_mut() {
        *id = u64::from(locations.get("location", *id)?);
    }
    let labels = s
        .label
        .into_iter()
        .map(|l| {
            Ok(Label {
                key: st.id("label key", l.key)?,
                str: st.id("label value", l.str)?,
                num: l.num,
                num_unit: st.id("label num_unit", l.num_unit)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Sample { locations: locs, values: s.value, labels })
}

/// The prost message of a profile: what [`encode`] writes.
pub fn to_message(p: &Profile) -> pb::Profile {
    let vt = |v: &ValueType| pb::ValueType { r#type: i64::from(v.ty), unit: i64::from(v.unit) };
    pb::Profile {
        sample_type: p.sample_types.iter().map(vt).collect(),
        sample: p.samples.iter().map(to_sample).collect(),
        mapping: p.mappings.iter().enumerate().map(|(i, m)| to_mapping(i, m)).collect(),
        location: p.locations.iter().enumerate().map(|(i, l)| to_location(i, l)).collect(),
        function: p.functions.iter().enumerate().map(|(i, f)| to_function(i, f)).collect(),
        string_table: p.strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
        drop_frames: i64::from(p.drop_frames),
        keep_frames: i64::from(p.keep_frames),
        time_nanos: p.time_nanos,
        duration_nanos: p.duration_nanos,
        period_type: Some(vt(&p.period_type)),
        period: p.period,
        comment: p.comments.iter().map(|&c| i64::from(c)).collect(),
        default_sample_type: i64::from(p.default_sample_type),
    }
}

fn to_sample(s: &Sample) -> pb::Sample {
    pb::Sample {
        location_id: s.locations.iter().map(|&l| l + 1).collect(),
        value: s.values.clone(),
        label: s
            .labels
            .iter()
            .map(|l| pb::Label {
                key: i64::from(l.key),
                str: i64::from(l.str),
                num: l.num,
                num_unit: i64::from(l.num_unit),
            })
            .collect(),
    }
}

pub(crate) fn to_mapping(i: usize, m: &Mapping) -> pb::Mapping {
    pb::Mapping {
        id: i as u64 + 1,
        memory_start: m.memory_start,
        memory_limit: m.memory_limit,
        file_offset: m.file_offset,
        filename: i64::from(m.filename),
        build_id: i64::from(m.build_id),
        has_functions: m.has_functions,
        has_filenames: m.has_filenames,
        has_line_numbers: m.has_line_numbers,
        has_inline_frames: m.has_inline_frames,
    }
}

pub(crate) fn to_location(i: usize, l: &Location) -> pb::Location {
    pb::Location {
        id: i as u64 + 1,
        mapping_id: l.mapping.map_or(0, |m| u64::from(m) + 1),
        address: l.address,
        line: l
            .lines
            .iter()
            .map(|ln| pb::Line { function_id: u64::from(ln.function) + 1, line: ln.line, column: ln.column })
            .collect(),
        is_folded: l.is_folded,
    }
}

pub(crate) fn to_function(i: usize, f: &Function) -> pb::Function {
    pb::Function {
        id: i as u64 + 1,
        name: i64::from(f.name),
        system_name: i64::from(f.system_name),
        filename: i64::from(f.filename),
        start_line: f.start_line,
    }
}
