//! Builds a [`Profile`] from frame names: the common back end of every text
//! decoder (folded, lines, tree, trie, speedscope, perf script, JFR).

use rustc_hash::FxHashMap;

use crate::profile::{Function, Label, Line, Location, Profile, Sample, StrId, ValueType};

/// Interns strings, functions and locations and merges identical label-less
/// stacks, so the built profile holds each symbol once.
#[derive(Debug)]
pub struct ProfileBuilder {
    profile: Profile,
    strings: FxHashMap<String, StrId>,
    functions: FxHashMap<(StrId, StrId), u32>,
    locations: FxHashMap<u32, u64>,
    stacks: FxHashMap<Vec<u64>, usize>,
    scratch: Vec<u64>,
}

impl ProfileBuilder {
    /// A builder for profiles with these `(type, unit)` sample types and
    /// period.
    pub fn new(sample_types: &[(&str, &str)], period_type: (&str, &str), period: i64) -> Self {
        let mut b = ProfileBuilder {
            profile: Profile::default(),
            strings: FxHashMap::default(),
            functions: FxHashMap::default(),
            locations: FxHashMap::default(),
            stacks: FxHashMap::default(),
            scratch: Vec::new(),
        };
        b.strings.insert(String::new(), 0);
        for (ty, unit) in sample_types {
            let vt = b.value_type(ty, unit);
            b.profile.sample_types.push(vt);
        }
        b.profile.period_type = b.value_type(period_type.0, period_type.1);
        b.profile.period = period;
        b
    }

    /// Interns a string.
    pub fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.profile.strings.len() as StrId;
        self.profile.strings.push(s.to_owned());
        self.strings.insert(s.to_owned(), id);
        id
    }

    fn value_type(&mut self, ty: &str, unit: &str) -> ValueType {
        ValueType { ty: self.intern(ty), unit: self.intern(unit) }
    }

    /// The function index for a name and file name (`""` when unknown).
    pub fn function(&mut self, name: &str, filename: &str) -> u32 {
        let key = (self.intern(name), self.intern(filename));
        if let Some(&f) = self.functions.get(&key) {
            return f;
        }
        let f = self.profile.functions.len() as u32;
        self.profile.functions.push(Function { name: key.0, system_name: key.0, filename: key.1, start_line: 0 });
        self.functions.insert(key, f);
        f
    }

    /// The location index of a frame that is just a function name.
    pub fn frame(&mut self, name: &str) -> u64 {
        let function = self.function(name, "");
        self.function_location(function, 0)
    }

    /// The location index for one function at one line; lines other than 0
    /// get their own location.
    pub fn function_location(&mut self, function: u32, line: i64) -> u64 {
        if line == 0 {
            if let Some(&l) = self.locations.get(&function) {
                return l;
            }
        }
        let l = self.profile.locations.len() as u64;
        self.profile.locations.push(Location {
            mapping: None,
            address: 0,
            lines: vec![Line { function, line, column: 0 }],
            is_folded: false,
        });
        if line == 0 {
            self.locations.insert(function, l);
        }
        l
    }

    /// Adds a sample of location indices, leaf first. Samples without labels
    /// and with the same stack are summed into one.
    pub fn add_sample(&mut self, locations: Vec<u64>, values: &[i64], labels: Vec<Label>) {
        if labels.is_empty() {
            if let Some(&i) = self.stacks.get(&locations) {
                let s = &mut self.profile.samples[i];
                for (a, b) in s.values.iter_mut().zip(values) {
                    *a = a.saturating_add(*b);
                }
                return;
            }
            self.stacks.insert(locations.clone(), self.profile.samples.len());
        }
        self.profile.samples.push(Sample { locations, values: values.to_vec(), labels });
    }

    /// Adds a stack of frame names given root first, with one value per
    /// sample type.
    pub fn add_stack<S: AsRef<str>>(&mut self, root_first: &[S], values: &[i64]) {
        let mut locs = std::mem::take(&mut self.scratch);
        locs.clear();
        for name in root_first.iter().rev() {
            locs.push(self.frame(name.as_ref()));
        }
        if let Some(&i) = self.stacks.get(&locs) {
            let s = &mut self.profile.samples[i];
            for (a, b) in s.values.iter_mut().zip(values) {
                *a = a.saturating_add(*b);
            }
            self.scratch = locs;
            return;
        }
        self.add_sample(locs.clone(), values, Vec::new());
        self.scratch = locs;
    }

    /// Sets the profile's start time and duration.
    pub fn set_time(&mut self, time_nanos: i64, duration_nanos: i64) {
        self.profile.time_nanos = time_nanos;
        self.profile.duration_nanos = duration_nanos;
    }

    pub fn build(self) -> Profile {
        self.profile
    }
}
