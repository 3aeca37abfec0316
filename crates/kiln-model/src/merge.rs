//! Merging many profiles into one: symbols are deduplicated across the
//! inputs and samples with the same stack and labels are summed. Merging is
//! order independent in what it sums (the tables' order may differ).

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::profile::{Label, Profile, Sample, StrId, ValueType};
use crate::symbols::{SymbolMap, Symbols};

/// A sample's identity when it carries labels.
type LabelledKey = (Box<[u64]>, Box<[Label]>);

/// Accumulates profiles of the same sample types.
#[derive(Debug, Default)]
pub struct ProfileMerger {
    symbols: Symbols,
    samples: Vec<Sample>,
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
        let map = self.symbols.add(p);
        self.check_sample_types(p, &map.strings)?;
        self.map_times(p);
        for s in &p.samples {
            self.add_sample(s, &map);
        }
        Ok(())
    }

    pub fn finish(self) -> Profile {
        let mut out = self.symbols.tables;
        out.samples = self.samples;
        if self.end_nanos > out.time_nanos && out.time_nanos > 0 {
            out.duration_nanos = self.end_nanos - out.time_nanos;
        }
        out
    }

    fn check_sample_types(&mut self, p: &Profile, strings: &[StrId]) -> Result<()> {
        let remap = |vt: &ValueType| ValueType { ty: strings[vt.ty as usize], unit: strings[vt.unit as usize] };
        let theirs: Vec<ValueType> = p.sample_types.iter().map(remap).collect();
        let out = &mut self.symbols.tables;
        if !std::mem::replace(&mut self.started, true) {
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
        let out = &mut self.symbols.tables;
        if p.time_nanos > 0 && (out.time_nanos == 0 || p.time_nanos < out.time_nanos) {
            out.time_nanos = p.time_nanos;
        }
    }

    fn add_sample(&mut self, s: &Sample, map: &SymbolMap) {
        let mut locs = std::mem::take(&mut self.scratch);
        locs.clear();
        locs.extend(s.locations.iter().map(|&l| map.locations[l as usize]));
        let index = if s.labels.is_empty() {
            self.stack_index(&locs)
        } else {
            let st = &map.strings;
            let labels: Box<[Label]> = s
                .labels
                .iter()
                .map(|l| Label {
                    key: st[l.key as usize],
                    str: st[l.str as usize],
                    num: l.num,
                    num_unit: st[l.num_unit as usize],
                })
                .collect();
            self.labelled_index(&locs, labels)
        };
        for (a, b) in self.samples[index].values.iter_mut().zip(&s.values) {
            *a = a.saturating_add(*b);
        }
        self.scratch = locs;
    }

    fn new_sample(&mut self, locs: &[u64], labels: &[Label]) -> usize {
        let n = self.symbols.tables.sample_types.len();
        self.samples.push(Sample { locations: locs.to_vec(), values: vec![0; n], labels: labels.to_vec() });
        self.samples.len() - 1
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
