//! Interning a profile's locations without interning its strings and
//! functions first: a location is found by its content (its mapping,
//! address and, per line, the keyed 64-bit hashes of its function's strings,
//! the line and column), hashed to 128 bits, so a steady service's known
//! location costs one lookup instead of a lookup (and its cache misses) per
//! string, per function and per location. Only a new location interns its
//! functions, and only a new function its strings. The hash key is random
//! per `Symbols`, so colliding content cannot be prepared in advance. Used
//! by the stored form, which needs the locations alone; [`Symbols::add`]
//! still maps every table. The index is built by the first
//! [`Symbols::add_locations`], so symbols only ever merged (queries,
//! compaction) never pay for it.

use std::hash::{BuildHasher, Hasher, RandomState};

use rustc_hash::FxHashMap;

use super::Symbols;
use crate::profile::{Function, Location, Mapping, Profile};

/// Functions and locations by content, with the random hash key.
#[derive(Debug, Clone)]
pub(super) struct ContentIndex {
    keys: RandomState,
    functions: FxHashMap<FunctionKey, u32>,
    locations: FxHashMap<u128, u64>,
}

/// A function by the hashes of its strings and its start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FunctionKey {
    name: u64,
    system_name: u64,
    filename: u64,
    start_line: i64,
}

impl Symbols {
    /// Interns what `p`'s locations need; returns where each of its
    /// locations landed.
    pub fn add_locations(&mut self, p: &Profile) -> Vec<u64> {
        self.ensure_index();
        let index = self.ensure_content();
        let hashes: Vec<u64> = p.strings.iter().map(|s| content_hash(&index.keys, s)).collect();
        let keys: Vec<FunctionKey> = p.functions.iter().map(|f| FunctionKey::of(f, |i| hashes[i as usize])).collect();
        let seed = content_hash(&index.keys, SEED);
        let mappings: Vec<u32> = p.mappings.iter().map(|m| self.mapping_of(p, m)).collect();
        let mut ids = Vec::with_capacity(p.locations.len());
        for l in &p.locations {
            let mapping = l.mapping.map(|m| mappings[m as usize]);
            let content = location_content(seed, mapping, l, |f| keys[f as usize]);
            let found = self.content.as_ref().and_then(|c| c.locations.get(&content).copied());
            ids.push(match found {
                Some(id) => id,
                None => self.new_location(p, l, mapping, &keys),
            });
        }
        ids
    }

    /// The content index, built from the tables if it is missing or behind.
    fn ensure_content(&mut self) -> &ContentIndex {
        let t = &self.tables;
        let current = self
            .content
            .as_ref()
            .is_some_and(|c| c.functions.len() == t.functions.len() && c.locations.len() == t.locations.len());
        if !current {
            let keys = self.content.take().map(|c| c.keys).unwrap_or_default();
            let functions = t.functions.iter().enumerate().map(|(i, f)| (key_of(&keys, t, f), i as u32)).collect();
            let seed = content_hash(&keys, SEED);
            let locations = t
                .locations
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    (location_content(seed, l.mapping, l, |f| key_of(&keys, t, &t.functions[f as usize])), i as u64)
                })
                .collect();
            self.content = Some(ContentIndex { keys, functions, locations });
        }
        self.content.as_ref().expect("content index built above")
    }

    /// Records a function just added to the tables, if the index is kept.
    pub(super) fn note_function(&mut self, id: u32) {
        let Some(c) = self.content.as_mut() else { return };
        let t = &self.tables;
        c.functions.insert(key_of(&c.keys, t, &t.functions[id as usize]), id);
    }

    /// Records a location just added to the tables, if the index is kept.
    pub(super) fn note_location(&mut self, id: u64) {
        let Some(c) = self.content.as_mut() else { return };
        let t = &self.tables;
        let l = &t.locations[id as usize];
        let seed = content_hash(&c.keys, SEED);
        let content = location_content(seed, l.mapping, l, |f| key_of(&c.keys, t, &t.functions[f as usize]));
        c.locations.insert(content, id);
    }

    /// Interns a location not found by content: its functions, then itself.
    fn new_location(&mut self, p: &Profile, l: &Location, mapping: Option<u32>, keys: &[FunctionKey]) -> u64 {
        let mut loc = Location { mapping, address: l.address, lines: Vec::with_capacity(l.lines.len()), ..*l };
        for line in &l.lines {
            let f = &p.functions[line.function as usize];
            let function = self.function_by_content(p, f, keys[line.function as usize]);
            loc.lines.push(crate::profile::Line { function, ..*line });
        }
        self.location_id(loc)
    }

    fn function_by_content(&mut self, p: &Profile, f: &Function, key: FunctionKey) -> u32 {
        if let Some(&id) = self.content.as_ref().and_then(|c| c.functions.get(&key)) {
            return id;
        }
        let f = Function {
            name: self.intern(p.str(f.name)),
            system_name: self.intern(p.str(f.system_name)),
            filename: self.intern(p.str(f.filename)),
            start_line: f.start_line,
        };
        self.function_id(f)
    }

    fn mapping_of(&mut self, p: &Profile, m: &Mapping) -> u32 {
        let m =
            Mapping { filename: self.intern(p.str(m.filename)), build_id: self.intern(p.str(m.build_id)), ..m.clone() };
        self.mapping_id(m)
    }
}

/// Seeds the location content hash (through the random key).
const SEED: &str = "kiln location";

/// The keyed hash of a string's bytes.
fn content_hash(keys: &RandomState, s: &str) -> u64 {
    let mut h = keys.build_hasher();
    h.write(s.as_bytes());
    h.finish()
}

/// The content key of one of the tables' own functions.
fn key_of(keys: &RandomState, tables: &Profile, f: &Function) -> FunctionKey {
    FunctionKey::of(f, |i| content_hash(keys, &tables.strings[i as usize]))
}

impl FunctionKey {
    fn of(f: &Function, hash: impl Fn(u32) -> u64) -> FunctionKey {
        FunctionKey {
            name: hash(f.name),
            system_name: hash(f.system_name),
            filename: hash(f.filename),
            start_line: f.start_line,
        }
    }
}

/// 128 bits of a location's content: two differently seeded chains of
/// splitmix64's finaliser over its fields.
fn location_content(seed: u64, mapping: Option<u32>, l: &Location, key: impl Fn(u32) -> FunctionKey) -> u128 {
    let mut h = Chain(seed, seed.rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15);
    h.add(mapping.map_or(u64::MAX, u64::from));
    h.add(l.address);
    h.add(u64::from(l.is_folded) | (l.lines.len() as u64) << 1);
    for line in &l.lines {
        let k = key(line.function);
        for x in [k.name, k.system_name, k.filename, k.start_line as u64, line.line as u64, line.column as u64] {
            h.add(x);
        }
    }
    (u128::from(h.0) << 64) | u128::from(h.1)
}

struct Chain(u64, u64);

impl Chain {
    fn add(&mut self, x: u64) {
        self.0 = finalize(self.0 ^ x);
        self.1 = finalize(self.1.wrapping_add(x).rotate_left(29));
    }
}

fn finalize(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::ProfileBuilder;

    /// One sample per stack; frames named `name@file`.
    fn profile(stacks: &[&[(&str, &str)]]) -> Profile {
        let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
        for stack in stacks {
            let locs: Vec<u64> = stack
                .iter()
                .rev()
                .map(|(name, file)| {
                    let f = b.function(name, file);
                    b.function_location(f, 0)
                })
                .collect();
            b.add_sample(locs, &[1], Vec::new());
        }
        b.build()
    }

    fn names(s: &Symbols, ids: &[u64]) -> Vec<String> {
        let t = &s.tables;
        let name = |id: u64| {
            let f = t.functions[t.locations[id as usize].lines[0].function as usize];
            format!("{}@{}", t.strings[f.name as usize], t.strings[f.filename as usize])
        };
        ids.iter().map(|&id| name(id)).collect()
    }

    #[test]
    fn the_same_frames_in_another_table_order_land_on_the_same_locations() {
        let mut s = Symbols::default();
        let a = s.add_locations(&profile(&[&[("main", "m.go"), ("work", "w.go")]]));
        let b = s.add_locations(&profile(&[&[("work", "w.go")], &[("main", "m.go"), ("work", "w.go")]]));
        assert_eq!(names(&s, &a), ["work@w.go", "main@m.go"]);
        assert_eq!(names(&s, &b), ["work@w.go", "main@m.go"]);
        assert_eq!(s.tables.locations.len(), 2, "nothing new the second time");
    }

    #[test]
    fn a_function_name_in_two_files_is_two_functions() {
        let mut s = Symbols::default();
        let ids = s.add_locations(&profile(&[&[("run", "a.py")], &[("run", "b.py")]]));
        assert_eq!(names(&s, &ids), ["run@a.py", "run@b.py"]);
        assert_eq!(s.tables.functions.len(), 2);
    }

    #[test]
    fn tables_read_back_find_their_locations_by_content() {
        let p = profile(&[&[("main", "m.go"), ("work", "w.go")]]);
        let mut first = Symbols::default();
        let ids = first.add_locations(&p);
        let mut reread = Symbols::from_tables(first.tables.clone());
        assert_eq!(reread.add_locations(&p), ids);
        assert_eq!(reread.tables.locations.len(), first.tables.locations.len());
    }
}
