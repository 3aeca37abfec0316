//! One Kiln profile under construction: interns strings and copies the
//! dictionary entries a profile's samples use, each once, with dense
//! indices.

use rustc_hash::FxHashMap;

use super::dictionary::{Dict, Lookup};
use crate::pb::otlp as pb;
use crate::profile::{Function, Line, Location, Mapping, Profile, Sample, StrId};

/// Mapping attribute carrying the GNU build id.
const BUILD_ID_KEY: &str = "process.executable.build_id.gnu";

/// A profile being filled from one OTLP profile's samples.
pub(super) struct Target {
    profile: Profile,
    strings: FxHashMap<String, StrId>,
    functions: FxHashMap<i32, u32>,
    locations: FxHashMap<i32, u64>,
    mappings: FxHashMap<i32, u32>,
}

impl Target {
    /// Wraps an empty profile whose `strings` hold only `""`.
    pub fn new(profile: Profile) -> Target {
        let mut strings = FxHashMap::default();
        strings.insert(String::new(), 0);
        Target {
            profile,
            strings,
            functions: FxHashMap::default(),
            locations: FxHashMap::default(),
            mappings: FxHashMap::default(),
        }
    }

    pub fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.profile.strings.len() as StrId;
        self.profile.strings.push(s.to_owned());
        self.strings.insert(s.to_owned(), id);
        id
    }

    /// The profile's header fields (types, period, time) for the caller to set.
    pub fn profile_mut(&mut self) -> &mut Profile {
        &mut self.profile
    }

    pub fn push_sample(&mut self, sample: Sample) {
        self.profile.samples.push(sample);
    }

    pub fn finish(self) -> Profile {
        self.profile
    }

    /// The profile's location for dictionary location `index`.
    pub fn location(&mut self, dict: &Dict, index: i32) -> Lookup<u64> {
        if let Some(&l) = self.locations.get(&index) {
            return Ok(l);
        }
        let src = dict.location(index)?;
        let mapping = self.mapping(dict, src.mapping_index)?;
        let mut lines = Vec::with_capacity(src.lines.len());
        for line in &src.lines {
            let function = self.function(dict, line.function_index)?;
            lines.push(Line { function, line: line.line, column: line.column });
        }
        if let Some(m) = mapping {
            self.note_symbols(dict, m, &src.lines)?;
        }
        let l = self.profile.locations.len() as u64;
        self.profile.locations.push(Location { mapping, address: src.address, lines, is_folded: false });
        self.locations.insert(index, l);
        Ok(l)
    }

    fn function(&mut self, dict: &Dict, index: i32) -> Lookup<u32> {
        if let Some(&f) = self.functions.get(&index) {
            return Ok(f);
        }
        let src = dict.function(index)?;
        let function = Function {
            name: self.intern(dict.string(src.name_strindex)?),
            system_name: self.intern(dict.string(src.system_name_strindex)?),
            filename: self.intern(dict.string(src.filename_strindex)?),
            start_line: src.start_line,
        };
        let f = self.profile.functions.len() as u32;
        self.profile.functions.push(function);
        self.functions.insert(index, f);
        Ok(f)
    }

    /// The profile's mapping for dictionary mapping `index`; its symbol
    /// flags start true and are narrowed by each location that uses it.
    fn mapping(&mut self, dict: &Dict, index: i32) -> Lookup<Option<u32>> {
        if let Some(&m) = self.mappings.get(&index) {
            return Ok(Some(m));
        }
        let Some(src) = dict.mapping(index)? else { return Ok(None) };
        let build_id = dict.attribute_value(&src.attribute_indices, BUILD_ID_KEY)?;
        let mapping = Mapping {
            memory_start: src.memory_start,
            memory_limit: src.memory_limit,
            file_offset: src.file_offset,
            filename: self.intern(dict.string(src.filename_strindex)?),
            build_id: self.intern(&build_id),
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            has_inline_frames: false,
        };
        let m = self.profile.mappings.len() as u32;
        self.profile.mappings.push(mapping);
        self.mappings.insert(index, m);
        Ok(Some(m))
    }

    /// Narrows a mapping's symbol flags by one of its locations' lines.
    fn note_symbols(&mut self, dict: &Dict, mapping: u32, lines: &[pb::Line]) -> Lookup<()> {
        let mut filenames = !lines.is_empty();
        for line in lines {
            filenames &= dict.function(line.function_index)?.filename_strindex != 0;
        }
        let Some(m) = self.profile.mappings.get_mut(mapping as usize) else { return Ok(()) };
        m.has_functions &= !lines.is_empty();
        m.has_filenames &= filenames;
        m.has_line_numbers &= !lines.is_empty() && lines.iter().all(|l| l.line > 0);
        m.has_inline_frames |= lines.len() > 1;
        Ok(())
    }
}
