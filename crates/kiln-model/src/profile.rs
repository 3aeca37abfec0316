//! The profile model: pprof's shape with dense, validated indices.
//!
//! Every reference is an index into one of the profile's tables and is
//! guaranteed to be in range once a `Profile` has been built by a decoder or
//! by [`crate::ProfileBuilder`], so consumers never re-check them.

/// Index into [`Profile::strings`]; 0 is always the empty string.
pub type StrId = u32;

/// A (type, unit) pair such as `cpu`/`nanoseconds`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ValueType {
    pub ty: StrId,
    pub unit: StrId,
}

/// A pprof sample label. Labels with key `span_id` or `trace_id` carry span
/// context for span-profile queries and are kept like any other label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Label {
    pub key: StrId,
    pub str: StrId,
    pub num: i64,
    pub num_unit: StrId,
}

/// One stack with one value per sample type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    /// Indices into [`Profile::locations`], leaf first.
    pub locations: Vec<u64>,
    /// One value per entry of [`Profile::sample_types`].
    pub values: Vec<i64>,
    pub labels: Vec<Label>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Mapping {
    pub memory_start: u64,
    pub memory_limit: u64,
    pub file_offset: u64,
    pub filename: StrId,
    pub build_id: StrId,
    pub has_functions: bool,
    pub has_filenames: bool,
    pub has_line_numbers: bool,
    pub has_inline_frames: bool,
}

/// A line within a location; index into [`Profile::functions`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Line {
    pub function: u32,
    pub line: i64,
    pub column: i64,
}

/// A program counter. `lines` lists the inlined frames innermost first: the
/// last line is the function the address physically belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Location {
    /// Index into [`Profile::mappings`].
    pub mapping: Option<u32>,
    pub address: u64,
    pub lines: Vec<Line>,
    pub is_folded: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Function {
    pub name: StrId,
    pub system_name: StrId,
    pub filename: StrId,
    pub start_line: i64,
}

/// A profile: samples of stacks over interned symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub sample_types: Vec<ValueType>,
    pub samples: Vec<Sample>,
    pub mappings: Vec<Mapping>,
    pub locations: Vec<Location>,
    pub functions: Vec<Function>,
    /// The string table; `strings[0]` is `""`.
    pub strings: Vec<String>,
    pub drop_frames: StrId,
    pub keep_frames: StrId,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub period_type: ValueType,
    pub period: i64,
    pub comments: Vec<StrId>,
    pub default_sample_type: StrId,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            sample_types: Vec::new(),
            samples: Vec::new(),
            mappings: Vec::new(),
            locations: Vec::new(),
            functions: Vec::new(),
            strings: vec![String::new()],
            drop_frames: 0,
            keep_frames: 0,
            time_nanos: 0,
            duration_nanos: 0,
            period_type: ValueType::default(),
            period: 0,
            comments: Vec::new(),
            default_sample_type: 0,
        }
    }
}

impl Profile {
    /// The id of `s` in the string table, appended when absent (a linear
    /// search: for the few strings a caller adds to a finished profile).
    pub fn intern_str(&mut self, s: &str) -> StrId {
        if let Some(i) = self.strings.iter().position(|x| x == s) {
            return i as StrId;
        }
        self.strings.push(s.to_owned());
        (self.strings.len() - 1) as StrId
    }

    /// The string behind an id.
    pub fn str(&self, id: StrId) -> &str {
        &self.strings[id as usize]
    }

    /// The name of a function.
    pub fn function_name(&self, function: u32) -> &str {
        self.str(self.functions[function as usize].name)
    }

    /// `(type, unit)` of a sample type as strings.
    pub fn value_type(&self, vt: ValueType) -> (&str, &str) {
        (self.str(vt.ty), self.str(vt.unit))
    }

    /// Index of the sample type with the given type name.
    pub fn sample_type_index(&self, ty: &str) -> Option<usize> {
        self.sample_types.iter().position(|vt| self.str(vt.ty) == ty)
    }

    /// Calls `f` with each frame name of a sample, root first, inlined
    /// frames expanded. A location without lines is named by its address.
    pub fn for_each_frame_root_first(&self, sample: &Sample, mut f: impl FnMut(&str)) {
        for &loc in sample.locations.iter().rev() {
            self.for_each_location_frame(loc, &mut f);
        }
    }

    /// Calls `f` with the frame names of one location, outermost first.
    pub fn for_each_location_frame(&self, loc: u64, mut f: impl FnMut(&str)) {
        let location = &self.locations[loc as usize];
        if location.lines.is_empty() {
            f(&format!("0x{:x}", location.address));
            return;
        }
        for line in location.lines.iter().rev() {
            f(self.function_name(line.function));
        }
    }

    /// Sum of each sample type's values over all samples.
    pub fn totals(&self) -> Vec<i64> {
        let mut totals = vec![0i64; self.sample_types.len()];
        for s in &self.samples {
            for (t, v) in totals.iter_mut().zip(&s.values) {
                *t = t.saturating_add(*v);
            }
        }
        totals
    }

    /// The value of label `key` on a sample, if it has a string value.
    pub fn label_str(&self, sample: &Sample, key: &str) -> Option<&str> {
        sample.labels.iter().find(|l| self.str(l.key) == key && l.str != 0).map(|l| self.str(l.str))
    }
}
