//! A bounded cache of section bytes fetched from a remote object store,
//! least recently used out first: reads that want a section again (the
//! symbols of a partition read for rows and then for rollups, the row
//! index read for totals and then with the samples, a decoded partition
//! evicted from the partition cache) make no request. Off (zero bytes) on
//! local disk, where the OS page cache does this.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bytes::Bytes;

/// (block id, offset, length)
pub type Key = (String, u64, u64);

pub struct SectionCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, Bytes>,
    order: VecDeque<Key>,
    bytes: usize,
}

impl SectionCache {
    pub fn new(max_bytes: usize) -> Self {
        SectionCache { inner: Mutex::new(Inner::default()), max_bytes }
    }

    pub fn get(&self, key: &Key) -> Option<Bytes> {
        if self.max_bytes == 0 {
            return None;
        }
        let mut inner = self.inner.lock().expect("section cache lock");
        let b = inner.map.get(key)?.clone();
        inner.order.retain(|k| k != key);
        inner.order.push_back(key.clone());
        Some(b)
    }

    pub fn insert(&self, key: Key, bytes: Bytes) {
        if bytes.len() > self.max_bytes {
            return;
        }
        let mut inner = self.inner.lock().expect("section cache lock");
        let size = bytes.len();
        if let Some(old) = inner.map.insert(key.clone(), bytes) {
            inner.bytes -= old.len();
            inner.order.retain(|k| k != &key);
        }
        inner.bytes += size;
        inner.order.push_back(key);
        while inner.bytes > self.max_bytes {
            let Some(k) = inner.order.pop_front() else { break };
            if let Some(b) = inner.map.remove(&k) {
                inner.bytes -= b.len();
            }
        }
    }

    /// Forgets every section of a block (deleted or replaced).
    pub fn forget(&self, block_id: &str) {
        let mut inner = self.inner.lock().expect("section cache lock");
        let keys: Vec<Key> = inner.map.keys().filter(|k| k.0 == block_id).cloned().collect();
        for k in keys {
            if let Some(b) = inner.map.remove(&k) {
                inner.bytes -= b.len();
            }
            inner.order.retain(|o| o != &k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_section_goes_first_and_the_bound_holds() {
        let c = SectionCache::new(10);
        c.insert(("a".into(), 0, 4), Bytes::from_static(b"aaaa"));
        c.insert(("b".into(), 0, 4), Bytes::from_static(b"bbbb"));
        assert!(c.get(&("a".into(), 0, 4)).is_some());
        c.insert(("c".into(), 0, 4), Bytes::from_static(b"cccc"));
        assert!(c.get(&("b".into(), 0, 4)).is_none(), "b was used least recently");
        assert!(c.get(&("a".into(), 0, 4)).is_some() && c.get(&("c".into(), 0, 4)).is_some());
        c.forget("a");
        assert!(c.get(&("a".into(), 0, 4)).is_none());
        assert!(SectionCache::new(0).get(&("c".into(), 0, 4)).is_none());
    }
}
