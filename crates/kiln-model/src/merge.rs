//! Merging many profiles into one: symbols are deduplicated across the
//! inputs and samples with the same stack and labels are summed. Merging is
//! order independent in what it sums (the tables' order may differ).

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::profile::{Function, Label, Location, Mapping, Profile, Sample, StrId, ValueType};

/// A sample's identity when it carries labels.
type LabelledKey = (Box<[u64]>, Box<[Label]>);

/// Accumulates profiles of the same sample types.
#[derive(Debug, Default)]
pub struct ProfileMerger {
    out: Option<Profile>,
    strings: FxHashMap<String, StrId>,
    functions: FxHashMap<Function, u32>,
    mappings: FxHashMap<Mapping, u32>,
    locations: FxHashMap<Location, u64>,
    stacks: FxHashMap<Box<[u64]>, usize>,
    labelled: FxHashMap<LabelledKey, usize>,
    scratch: Vec<u64>,
    end_nanos: i64,
    started: bool,
}

/// Merges profiles; all must have the same sample types.
pub fn merge<'a>(profiles: impl IntoIterator<Item = &'a Profile>) -> Result<Profile> {
    let mut m = ProfileMerger::default();
    for p in profiles {
        m.add(p)?;
    }
    Ok(m.finish())
}

impl ProfileMerger {
    /// Adds one profile. Its sample types must equal the first profile's.
    pub fn add(&mut self, p: &Profile) -> Result<()> {
        let strings = self.map_strings(p);
        self.check_sample_types(p, &strings)?;
        self.map_times(p);
        let functions = self.map_functions(p, &strings);
        let mappings = self.map_mappings(p, &strings);
        let locations = self.map_locations(p, &functions, &mappings);
        for s in &p.samples {
            self.add_sample(s, &locations, &strings);
        }
        Ok(())
    }

    pub fn finish(self) -> Profile {
        let mut out = self.out.unwrap_or_default();
        if self.end_nanos > out.time_nanos && out.time_nanos > 0 {
            out.duration_nanos = self.end_nanos - out.time_nanos;
        }
        out
    }

    fn out(&mut self) -> &mut Profile {
        self.out.get_or_insert_with(Profile::default)
    }

    fn intern(&mut self, s: &str) -> StrId {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let out = self.out();
        let id = out.strings.len() as StrId;
        out.strings.push(s.to_owned());
        self.strings.insert(s.to_owned(), id);
        id
    }

    fn map_strings(&mut self, p: &Profile) -> Vec<StrId> {
        p.strings.iter().map(|s| self.intern(s)).collect()
    }

    fn check_sample_types(&mut self, p: &Profile, strings: &[StrId]) -> Result<()> {
        let remap = |vt: &ValueType| ValueType { ty: strings[vt.ty as usize], unit: strings[vt.unit as usize] };
        let theirs: Vec<ValueType> = p.sample_types.iter().map(remap).collect();
        let first = !std::mem::replace(&mut self.started, true);
        let out = self.out();
        if first {
            out.sample_types = theirs;
            out.period_type = remap(&p.period_type);
            out.period = p.period;
            out.default_sample_type = strings[p.default_sample_type as usize];
            return Ok(());
        }
        if out.sample_types != theirs {
            return Err(Error::invalid("merge", "profiles have different sample types"));
        }
        Ok(())
    }

    fn map_times(&mut self, p: &Profile) {
        let end = p.time_nanos.saturating_add(p.duration_nanos);
        self.end_nanos = self.end_nanos.max(end);
        let out = self.out();
        if p.time_nanos > 0 && (out.time_nanos == 0 || p.time_nanos < out.time_nanos) {
            out.time_nanos = p.time_nanos;
        }
    }

    fn map_functions(&mut self, p: &Profile, strings: &[StrId]) -> Vec<u32> {
        let mut ids = Vec::with_capacity(p.functions.len());
        for f in &p.functions {
            let f = Function {
                name: strings[f.name as usize],
                system_name: strings[f.system_name as usize],
                filename: strings[f.filename as usize],
                start_line: f.start_line,
            };
            let next = self.functions.len() as u32;
            let id = *self.functions.entry(f).or_insert(next);
            if id == next {
                self.out().functions.push(f);
            }
            ids.push(id);
        }
        ids
    }

    fn map_mappings(&mut self, p: &Profile, strings: &[StrId]) -> Vec<u32> {
        let mut ids = Vec::with_capacity(p.mappings.len());
        for m in &p.mappings {
            let m =
                Mapping { filename: strings[m.filename as usize], build_id: strings[m.build_id as usize], ..m.clone() };
            let next = self.mappings.len() as u32;
            let id = *self.mappings.entry(m.clone()).or_insert(next);
            if id == next {
                self.out().mappings.push(m);
            }
            ids.push(id);
        }
        ids
    }

    fn map_locations(&mut self, p: &Profile, functions: &[u32], mappings: &[u32]) -> Vec<u64> {
        let mut ids = Vec::with_capacity(p.locations.len());
        for l in &p.locations {
            let mut l = l.clone();
            l.mapping = l.mapping.map(|m| mappings[m as usize]);
            for line in &mut l.lines {
                line.function = functions[line.function as usize];
            }
            let next = self.locations.len() as u64;
            let id = *self.locations.entry(l.clone()).or_insert(next);
            if id == next {
                self.out().locations.push(l);
            }
            ids.push(id);
        }
        ids
    }

    fn add_sample(&mut self, s: &Sample, locations: &[u64], strings: &[StrId]) {
        let mut locs = std::mem::take(&mut self.scratch);
        locs.clear();
        locs.extend(s.locations.iter().map(|&l| locations[l as usize]));
        let index = if s.labels.is_empty() {
            self.stack_index(&locs)
        } else {
            let labels: Box<[Label]> = s
                .labels
                .iter()
                .map(|l| Label {
                    key: strings[l.key as usize],
                    str: strings[l.str as usize],
                    num: l.num,
                    num_unit: strings[l.num_unit as usize],
                })
                .collect();
            self.labelled_index(&locs, labels)
        };
        let values = &mut self.out.as_mut().expect("merger has output").samples[index].values;
        for (a, b) in values.iter_mut().zip(&s.values) {
            *a = a.saturating_add(*b);
        }
        self.scratch = locs;
    }

    fn new_sample(&mut self, locs: &[u64], labels: &[Label]) -> usize {
        let out = self.out();
        let n = out.sample_types.len();
        out.samples.push(Sample { locations: locs.to_vec(), values: vec![0; n], labels: labels.to_vec() });
        out.samples.len() - 1
    }

    fn stack_index(&mut self, locs: &[u64]) -> usize {
        if let Some(&i) = self.stacks.get(locs) {
            return i;
        }
        let i = self.new_sample(locs, &[]);
        self.stacks.insert(locs.into(), i);
        i
    }

    fn labelled_index(&mut self, locs: &[u64], labels: Box<[Label]>) -> usize {
        let key = (Box::<[u64]>::from(locs), labels);
        if let Some(&i) = self.labelled.get(&key) {
            return i;
        }
        let i = self.new_sample(locs, &key.1);
        self.labelled.insert(key, i);
        i
    }
}
