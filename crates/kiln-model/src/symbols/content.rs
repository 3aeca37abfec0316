//! Interning a profile's locations without interning its strings and
//! functions first: a location is found by its content (its mapping,
//! address and, per line, the keyed 64-bit hashes of its function's strings,
//! the line and column), hashed to 128 bits, so a steady service's known
//! location costs one lookup instead of a lookup (and its cache misses) per
//! string, per function and per location. Only a new location interns its
//! functions, and only a new function its strings. The hash key is random
//! per `Symbols`, so colliding content cannot be prepared in advance. Used
//! by the stored form, which needs the locations alone; [`Symbols::add`]
//! still maps every table.

use std::hash::{BuildHasher, Hasher};

use super::Symbols;
use crate::profile::{Function, Location, Mapping, Profile};

/// A function by the hashes of its strings and its start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct FunctionKey {
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
        let hashes: Vec<u64> = p.strings.iter().map(|s| self.content_hash(s)).collect();
        let keys: Vec<FunctionKey> = p.functions.iter().map(|f| FunctionKey::of(f, |i| hashes[i as usize])).collect();
        let mappings: Vec<u32> = p.mappings.iter().map(|m| self.mapping_of(p, m)).collect();
        let seed = self.content_seed();
        let mut ids = Vec::with_capacity(p.locations.len());
        for l in &p.locations {
            let mapping = l.mapping.map(|m| mappings[m as usize]);
            let content = location_content(seed, mapping, l, |f| keys[f as usize]);
            let id = match self.by_location.get(&content) {
                Some(&id) => id,
                None => self.new_location(p, l, mapping, &keys),
            };
            ids.push(id);
        }
        ids
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

    /// The content of one of the tables' own locations.
    pub(super) fn location_content_of(&self, l: &Location) -> u128 {
        let functions = &self.tables.functions;
        location_content(self.content_seed(), l.mapping, l, |f| self.key_of(&functions[f as usize]))
    }

    /// Per-`Symbols` seed of location content hashes.
    fn content_seed(&self) -> u64 {
        self.content_hash("kiln location")
    }

    /// The keyed hash of a string's bytes; the key is random per `Symbols`,
    /// so colliding strings cannot be prepared in advance.
    pub(super) fn content_hash(&self, s: &str) -> u64 {
        let mut h = self.content_keys.build_hasher();
        h.write(s.as_bytes());
        h.finish()
    }

    /// The content key of one of the tables' own functions.
    pub(super) fn key_of(&self, f: &Function) -> FunctionKey {
        let s = |i: u32| self.content_hash(&self.tables.strings[i as usize]);
        FunctionKey {
            name: s(f.name),
            system_name: s(f.system_name),
            filename: s(f.filename),
            start_line: f.start_line,
        }
    }

    fn function_by_content(&mut self, p: &Profile, f: &Function, key: FunctionKey) -> u32 {
        if let Some(&id) = self.by_content.get(&key) {
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
