//! The head's symbol dictionaries: one [`SymbolDb`] per (tenant, service)
//! kept across segments. A steady service's next profile is interned by
//! lookups instead of being rebuilt into a fresh table every segment, and a
//! segment's symbol section is encoded only for what the dictionary gained
//! since the last segment (tables only grow) and compressed only when it
//! changed. A dictionary is dropped when idle or too large, which bounds
//! memory; rows reference it only until their segment is written.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kiln_model::pprof_append::TablesAppender;
use kiln_model::stacks::SymbolDb;
use prost::encoding::{self, WireType};

use crate::format::compress;

/// A dictionary unused this long is dropped.
pub const DICT_IDLE: Duration = Duration::from_secs(120);
/// A dictionary whose encoded symbols pass this size starts over after the
/// segment that holds it: each segment carries its whole dictionary.
pub const DICT_MAX_BYTES: usize = 4 << 20;

// Field numbers of the block format's `Symbols` section message.
const PPROF: u32 = 1;
const STACK_PARENT_DELTA: u32 = 2;
const STACK_LOCATION: u32 = 3;
// `perftools.profiles.Profile.string_table`.
const STRING_TABLE: u32 = 6;

/// One service's symbols and stacks, as pprof tables and packed stack
/// columns encoded so far.
pub struct ServiceDict {
    pub db: SymbolDb,
    /// Random, never 0: tells this dictionary's stack ids from another's.
    pub id: u64,
    tables: TablesAppender,
    parent_delta: Vec<u8>,
    location: Vec<u8>,
    stacks_written: usize,
    snapshot: Option<Arc<EncodedSymbols>>,
    last_used: Instant,
}

/// A `Symbols` section message, compressed on first use (off the head's
/// lock, by the segment writer) and then shared by later segments while the
/// dictionary stays the same.
#[derive(Debug)]
pub struct EncodedSymbols {
    raw: Mutex<Option<Vec<u8>>>,
    compressed: OnceLock<Vec<u8>>,
}

impl EncodedSymbols {
    fn new(raw: Vec<u8>) -> EncodedSymbols {
        EncodedSymbols { raw: Mutex::new(Some(raw)), compressed: OnceLock::new() }
    }

    /// The zstd-compressed section bytes.
    pub fn compressed(&self) -> &[u8] {
        self.compressed.get_or_init(|| compress(&self.raw.lock().expect("raw lock").take().unwrap_or_default()))
    }
}

impl Default for ServiceDict {
    fn default() -> Self {
        ServiceDict {
            db: SymbolDb::default(),
            id: random_id(),
            tables: TablesAppender::default(),
            parent_delta: Vec::new(),
            location: Vec::new(),
            stacks_written: 1,
            snapshot: None,
            last_used: Instant::now(),
        }
    }
}

/// A random non-zero id (std's randomly keyed hasher over a counter).
fn random_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.finish().max(1)
}

impl ServiceDict {
    /// Marks the dictionary as used now.
    pub fn touch(&mut self) {
        self.last_used = Instant::now();
    }

    /// True when the dictionary should be dropped after this segment.
    pub fn retired(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) > DICT_IDLE || self.encoded_len() > DICT_MAX_BYTES
    }

    fn encoded_len(&self) -> usize {
        self.tables.bytes().len() + self.parent_delta.len() + self.location.len()
    }

    /// The symbol section for a segment: the whole dictionary, then
    /// `extra_strings` (the segment's own sample-label values, ids from the
    /// dictionary's string count on). Without extras the section is shared
    /// with earlier segments while the dictionary is unchanged.
    pub fn section(&mut self, extra_strings: &[String]) -> Arc<EncodedSymbols> {
        self.catch_up();
        if extra_strings.is_empty() {
            if let Some(s) = &self.snapshot {
                return s.clone();
            }
        }
        let mut pprof = Vec::with_capacity(self.tables.bytes().len() + extra_strings.len() * 24);
        pprof.extend_from_slice(self.tables.bytes());
        for s in extra_strings {
            encoding::encode_key(STRING_TABLE, WireType::LengthDelimited, &mut pprof);
            encoding::encode_varint(s.len() as u64, &mut pprof);
            pprof.extend_from_slice(s.as_bytes());
        }
        let mut raw = Vec::with_capacity(pprof.len() + self.parent_delta.len() + self.location.len() + 32);
        for (field, bytes) in
            [(PPROF, &pprof), (STACK_PARENT_DELTA, &self.parent_delta), (STACK_LOCATION, &self.location)]
        {
            if !bytes.is_empty() {
                encoding::encode_key(field, WireType::LengthDelimited, &mut raw);
                encoding::encode_varint(bytes.len() as u64, &mut raw);
                raw.extend_from_slice(bytes);
            }
        }
        let section = Arc::new(EncodedSymbols::new(raw));
        if extra_strings.is_empty() {
            self.snapshot = Some(section.clone());
        }
        section
    }

    /// Encodes what the dictionary gained since the last section; forgets
    /// the shared section if anything was gained.
    fn catch_up(&mut self) {
        let (parent, location) = self.db.stacks.parts();
        let grew = self.tables.is_behind(&self.db.symbols.tables) || self.stacks_written != parent.len();
        if !grew {
            return;
        }
        self.tables.append(&self.db.symbols.tables);
        for i in self.stacks_written..parent.len() {
            encoding::encode_varint(u64::from(i as u32 - parent[i]), &mut self.parent_delta);
            encoding::encode_varint(location[i], &mut self.location);
        }
        self.stacks_written = parent.len();
        self.snapshot = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_model::ProfileBuilder;
    use prost::Message;

    fn add(dict: &mut ServiceDict, root_first: &[&str]) {
        let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
        b.add_stack(root_first, &[1]);
        dict.db.add_profile(&b.build(), 0);
    }

    fn decode(section: &EncodedSymbols) -> SymbolDb {
        let raw = zstd::bulk::decompress(section.compressed(), 1 << 20).expect("zstd");
        crate::codec::symbols_from_pb(crate::pb::Symbols::decode(raw.as_slice()).expect("pb")).expect("symbols")
    }

    #[test]
    fn sections_decode_to_the_dictionary_as_it_grows() {
        let mut dict = ServiceDict::default();
        add(&mut dict, &["main", "work"]);
        let first = decode(&dict.section(&[]));
        assert_eq!(first.stacks.parts(), dict.db.stacks.parts());
        add(&mut dict, &["main", "work", "deeper"]);
        add(&mut dict, &["main", "idle"]);
        let second = decode(&dict.section(&[]));
        assert_eq!(second.stacks.parts(), dict.db.stacks.parts());
        assert_eq!(second.symbols.tables.strings, dict.db.symbols.tables.strings);
        assert_eq!(second.symbols.tables.locations, dict.db.symbols.tables.locations);
        assert_eq!(second.symbols.tables.functions, dict.db.symbols.tables.functions);
    }

    #[test]
    fn an_unchanged_dictionary_shares_its_compressed_section() {
        let mut dict = ServiceDict::default();
        add(&mut dict, &["main", "work"]);
        let a = dict.section(&[]);
        add(&mut dict, &["main", "work"]);
        assert!(Arc::ptr_eq(&a, &dict.section(&[])), "same stack again: nothing new to encode");
        add(&mut dict, &["main", "other"]);
        assert!(!Arc::ptr_eq(&a, &dict.section(&[])));
    }

    #[test]
    fn extra_strings_follow_the_dictionary_strings() {
        let mut dict = ServiceDict::default();
        add(&mut dict, &["main"]);
        let n = dict.db.symbols.tables.strings.len();
        let db = decode(&dict.section(&["span-1".to_owned(), "span-2".to_owned()]));
        assert_eq!(db.symbols.tables.strings[n..], ["span-1", "span-2"]);
        assert_eq!(decode(&dict.section(&[])).symbols.tables.strings.len(), n, "extras are the segment's only");
    }
}
