//! The symbol tables of a growing [`Profile`] as pprof bytes, encoded
//! incrementally: tables only ever grow (interning appends), and protobuf
//! repeated fields may arrive in any number of runs, so each call encodes
//! only the entries added since the last one. The bytes decode with
//! [`crate::pprof::decode`] to the same tables (no samples, no sample types).

use prost::encoding::{self, WireType};

use crate::pprof::{to_function, to_location, to_mapping};
use crate::profile::Profile;

// Field numbers of `perftools.profiles.Profile`.
const MAPPING: u32 = 3;
const LOCATION: u32 = 4;
const FUNCTION: u32 = 5;
const STRING_TABLE: u32 = 6;

/// Appends the pprof encoding of a profile's new table entries.
#[derive(Debug, Clone, Default)]
pub struct TablesAppender {
    bytes: Vec<u8>,
    strings: usize,
    functions: usize,
    mappings: usize,
    locations: usize,
}

impl TablesAppender {
    /// Encodes the entries of `tables` added since the last call. `tables`
    /// must be the same profile, grown only by appending.
    pub fn append(&mut self, tables: &Profile) {
        for s in &tables.strings[self.strings.min(tables.strings.len())..] {
            encoding::encode_key(STRING_TABLE, WireType::LengthDelimited, &mut self.bytes);
            encoding::encode_varint(s.len() as u64, &mut self.bytes);
            self.bytes.extend_from_slice(s.as_bytes());
        }
        for (i, m) in tables.mappings.iter().enumerate().skip(self.mappings) {
            encoding::message::encode(MAPPING, &to_mapping(i, m), &mut self.bytes);
        }
        for (i, f) in tables.functions.iter().enumerate().skip(self.functions) {
            encoding::message::encode(FUNCTION, &to_function(i, f), &mut self.bytes);
        }
        for (i, l) in tables.locations.iter().enumerate().skip(self.locations) {
            encoding::message::encode(LOCATION, &to_location(i, l), &mut self.bytes);
        }
        self.strings = tables.strings.len();
        self.mappings = tables.mappings.len();
        self.functions = tables.functions.len();
        self.locations = tables.locations.len();
    }

    /// The pprof bytes of every entry appended so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// True when `tables` has entries not yet appended.
    pub fn is_behind(&self, tables: &Profile) -> bool {
        tables.strings.len() != self.strings
            || tables.mappings.len() != self.mappings
            || tables.functions.len() != self.functions
            || tables.locations.len() != self.locations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::ProfileBuilder;
    use crate::pprof;
    use crate::symbols::Symbols;

    fn profile(root_first: &[&str]) -> Profile {
        let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
        b.add_stack(root_first, &[1]);
        b.build()
    }

    #[test]
    fn appended_runs_decode_to_the_whole_tables() {
        let mut symbols = Symbols::default();
        let mut appender = TablesAppender::default();
        symbols.add(&profile(&["main", "work"]));
        appender.append(&symbols.tables);
        assert!(!appender.is_behind(&symbols.tables));
        symbols.add(&profile(&["main", "idle", "poll"]));
        assert!(appender.is_behind(&symbols.tables));
        appender.append(&symbols.tables);
        let back = pprof::decode(appender.bytes()).expect("decodes");
        let t = &symbols.tables;
        assert_eq!((back.strings.len(), back.locations.len()), (t.strings.len(), 4));
        assert_eq!(back.strings, t.strings);
        assert_eq!(back.functions, t.functions);
        assert_eq!(back.locations, t.locations);
        assert_eq!(back.mappings, t.mappings);
    }
}
