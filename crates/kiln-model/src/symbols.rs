//! Symbols interned once across many profiles: strings, functions,
//! mappings and locations deduplicated by content. Both the profile merger
//! and the stack table (the stored form of profiles) are built on it.

mod content;

use rustc_hash::FxHashMap;

use crate::profile::{Function, Line, Location, Mapping, Profile, StrId};
use content::ContentIndex;

/// Deduplicated symbol tables; `tables` holds them in a `Profile` whose
/// samples are unused, so they can be handed out as a profile directly.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    pub tables: Profile,
    strings: FxHashMap<String, StrId>,
    functions: FxHashMap<Function, u32>,
    mappings: FxHashMap<Mapping, u32>,
    locations: FxHashMap<LocationKey, u64>,
    /// Functions and locations by content, built by the first
    /// [`Symbols::add_locations`] and kept up to date from then on
    /// (`content.rs`).
    content: Option<ContentIndex>,
    scratch: Location,
}

/// A location as the intern map keys it: with up to [`INLINE_LINES`] lines
/// held inline, so a lookup compares it without following a pointer to a
/// heap `lines` vector (that cache miss dominated interning).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LocationKey {
    Inline { mapping: Option<u32>, address: u64, is_folded: bool, n: u8, lines: [Line; INLINE_LINES] },
    Other(Location),
}

/// Lines of a location kept inline in its key: a frame and its inlined callers.
const INLINE_LINES: usize = 3;

impl LocationKey {
    fn of(l: &Location) -> LocationKey {
        if l.lines.len() > INLINE_LINES {
            return LocationKey::Other(l.clone());
        }
        let mut lines = [Line::default(); INLINE_LINES];
        lines[..l.lines.len()].copy_from_slice(&l.lines);
        LocationKey::Inline {
            mapping: l.mapping,
            address: l.address,
            is_folded: l.is_folded,
            n: l.lines.len() as u8,
            lines,
        }
    }
}

/// How one input profile's tables map into [`Symbols`].
#[derive(Debug, Clone, Default)]
pub struct SymbolMap {
    pub strings: Vec<StrId>,
    pub locations: Vec<u64>,
}

impl Symbols {
    /// Symbols read back from persisted tables; their intern maps are
    /// built the first time something is added.
    pub fn from_tables(tables: Profile) -> Symbols {
        Symbols { tables, ..Symbols::default() }
    }

    fn ensure_index(&mut self) {
        let t = &self.tables;
        if self.strings.len() + 1 >= t.strings.len()
            && self.functions.len() == t.functions.len()
            && self.mappings.len() == t.mappings.len()
            && self.locations.len() == t.locations.len()
        {
            return;
        }
        self.strings = t.strings.iter().enumerate().skip(1).map(|(i, s)| (s.clone(), i as StrId)).collect();
        self.functions = t.functions.iter().enumerate().map(|(i, f)| (*f, i as u32)).collect();
        self.mappings = t.mappings.iter().enumerate().map(|(i, m)| (m.clone(), i as u32)).collect();
        self.locations = t.locations.iter().enumerate().map(|(i, l)| (LocationKey::of(l), i as u64)).collect();
    }

    /// Interns every table of `p`, returning where its strings and
    /// locations landed.
    pub fn add(&mut self, p: &Profile) -> SymbolMap {
        self.ensure_index();
        let strings: Vec<StrId> = p.strings.iter().map(|s| self.intern(s)).collect();
        let functions = self.map_functions(p, &strings);
        let mappings = self.map_mappings(p, &strings);
        let locations = self.map_locations(p, &functions, &mappings);
        SymbolMap { strings, locations }
    }

    /// Interns one string.
    pub fn intern(&mut self, s: &str) -> StrId {
        if s.is_empty() {
            return 0;
        }
        self.ensure_index();
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.tables.strings.len() as StrId;
        self.tables.strings.push(s.to_owned());
        self.strings.insert(s.to_owned(), id);
        id
    }

    fn map_functions(&mut self, p: &Profile, strings: &[StrId]) -> Vec<u32> {
        let remap = |f: &Function| Function {
            name: strings[f.name as usize],
            system_name: strings[f.system_name as usize],
            filename: strings[f.filename as usize],
            start_line: f.start_line,
        };
        p.functions.iter().map(|f| self.function_id(remap(f))).collect()
    }

    /// The id of a function of already-interned strings, added if new.
    fn function_id(&mut self, f: Function) -> u32 {
        let next = self.functions.len() as u32;
        let id = *self.functions.entry(f).or_insert(next);
        if id == next {
            self.tables.functions.push(f);
            self.note_function(id);
        }
        id
    }

    fn map_mappings(&mut self, p: &Profile, strings: &[StrId]) -> Vec<u32> {
        let remap = |m: &Mapping| Mapping {
            filename: strings[m.filename as usize],
            build_id: strings[m.build_id as usize],
            ..m.clone()
        };
        p.mappings.iter().map(|m| self.mapping_id(remap(m))).collect()
    }

    /// The id of a mapping of already-interned strings, added if new.
    fn mapping_id(&mut self, m: Mapping) -> u32 {
        let next = self.mappings.len() as u32;
        let id = *self.mappings.entry(m.clone()).or_insert(next);
        if id == next {
            self.tables.mappings.push(m);
        }
        id
    }

    /// The id of a location of already-interned functions and mapping,
    /// added if new.
    fn location_id(&mut self, loc: Location) -> u64 {
        let key = LocationKey::of(&loc);
        if let Some(&id) = self.locations.get(&key) {
            return id;
        }
        let id = self.tables.locations.len() as u64;
        self.locations.insert(key, id);
        self.tables.locations.push(loc);
        self.note_location(id);
        id
    }

    /// Builds each remapped location in one reused scratch value and clones
    /// it only when it is new.
    fn map_locations(&mut self, p: &Profile, functions: &[u32], mappings: &[u32]) -> Vec<u64> {
        let mut ids = Vec::with_capacity(p.locations.len());
        let mut loc = std::mem::take(&mut self.scratch);
        for l in &p.locations {
            loc.mapping = l.mapping.map(|m| mappings[m as usize]);
            loc.address = l.address;
            loc.is_folded = l.is_folded;
            loc.lines.clear();
            loc.lines.extend(l.lines.iter().map(|ln| Line { function: functions[ln.function as usize], ..*ln }));
            let id = match self.locations.get(&LocationKey::of(&loc)) {
                Some(&id) => id,
                None => self.location_id(loc.clone()),
            };
            ids.push(id);
        }
        self.scratch = loc;
        ids
    }
}
