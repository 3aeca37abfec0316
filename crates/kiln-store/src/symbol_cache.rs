//! Decoded symbol tables shared by every partition whose `symbols` section
//! holds the same bytes. Each segment carries its service's whole
//! dictionary, and a steady service's consecutive segments carry the very
//! same compressed section, so a read over hundreds of segments decodes
//! each dictionary once, and a merge adds all of their samples into one
//! array by stack id instead of re-interning the dictionary per segment.
//!
//! Sections are found by their footer CRC and length, then compared byte
//! for byte: two sections share a table only when their bytes are equal.
//! Entries hold the table weakly; it lives as long as a cached partition
//! or a running query uses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use kiln_model::stacks::SymbolDb;

#[derive(Default)]
pub struct SymbolCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_key: HashMap<(u32, u64), Vec<Entry>>,
    /// Entries when dead ones were last swept; the next sweep is due at
    /// twice as many.
    swept_at: usize,
    entries: usize,
}

struct Entry {
    bytes: Bytes,
    db: Weak<SymbolDb>,
}

impl SymbolCache {
    /// The table decoded from a section with these bytes, if one is alive.
    pub fn get(&self, crc32: u32, bytes: &[u8]) -> Option<Arc<SymbolDb>> {
        let inner = self.inner.lock().expect("symbol cache lock");
        let entries = inner.by_key.get(&(crc32, bytes.len() as u64))?;
        entries.iter().filter(|e| e.bytes == bytes).find_map(|e| e.db.upgrade())
    }

    /// Remembers the table decoded from `bytes`.
    pub fn insert(&self, crc32: u32, bytes: Bytes, db: &Arc<SymbolDb>) {
        let mut inner = self.inner.lock().expect("symbol cache lock");
        let key = (crc32, bytes.len() as u64);
        let entries = inner.by_key.entry(key).or_default();
        entries.retain(|e| e.db.strong_count() > 0);
        entries.push(Entry { bytes, db: Arc::downgrade(db) });
        inner.entries += 1;
        if inner.entries > 2 * inner.swept_at.max(64) {
            inner.by_key.retain(|_, v| {
                v.retain(|e| e.db.strong_count() > 0);
                !v.is_empty()
            });
            inner.entries = inner.by_key.values().map(Vec::len).sum();
            inner.swept_at = inner.entries;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_share_one_table_and_different_bytes_do_not() {
        let cache = SymbolCache::default();
        let db = Arc::new(SymbolDb::default());
        cache.insert(7, Bytes::from_static(b"abcd"), &db);
        assert!(Arc::ptr_eq(&cache.get(7, b"abcd").unwrap(), &db));
        // Same CRC and length, other bytes: a collision must not share.
        assert!(cache.get(7, b"abce").is_none());
        assert!(cache.get(8, b"abcd").is_none());
    }

    #[test]
    fn a_table_no_one_holds_is_forgotten() {
        let cache = SymbolCache::default();
        let db = Arc::new(SymbolDb::default());
        cache.insert(1, Bytes::from_static(b"x"), &db);
        drop(db);
        assert!(cache.get(1, b"x").is_none());
        for i in 0..200u32 {
            let db = Arc::new(SymbolDb::default());
            cache.insert(i, Bytes::from(i.to_le_bytes().to_vec()), &db);
        }
        assert!(cache.inner.lock().unwrap().entries < 200, "dead entries are swept");
    }
}
