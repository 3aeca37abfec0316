//! A bounded cache of decoded partitions, least recently used out first,
//! so repeated queries over the same blocks skip fetching and decoding.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::partition::Partition;
use crate::read_partition::Part;

/// (block id, partition index, which sections)
pub type Key = (String, usize, Part);

pub struct PartitionCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, (Arc<Partition>, usize)>,
    order: VecDeque<Key>,
    bytes: usize,
}

/// A rough size of a decoded partition, to keep the cache bounded.
pub fn approx_bytes(p: &Partition) -> usize {
    let samples: usize = p.rows.iter().map(|r| r.samples.values.len()).sum();
    let rollups: usize = p.rollups.iter().map(|r| r.samples.values.len()).sum();
    let t = &p.db.symbols.tables;
    let strings: usize = t.strings.iter().map(|s| s.len() + 24).sum();
    (samples + rollups) * 12 + p.rows.len() * 96 + strings + t.locations.len() * 64 + p.db.stacks.len() * 12
}

impl PartitionCache {
    pub fn new(max_bytes: usize) -> Self {
        PartitionCache { inner: Mutex::new(Inner::default()), max_bytes }
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Partition>> {
        let mut inner = self.inner.lock().expect("cache lock");
        let p = inner.map.get(key).map(|(p, _)| p.clone())?;
        inner.order.retain(|k| k != key);
        inner.order.push_back(key.clone());
        Some(p)
    }

    pub fn insert(&self, key: Key, p: Arc<Partition>) {
        let size = approx_bytes(&p);
        if size > self.max_bytes {
            return;
        }
        let mut inner = self.inner.lock().expect("cache lock");
        if let Some((_, old)) = inner.map.insert(key.clone(), (p, size)) {
            inner.bytes -= old;
            inner.order.retain(|k| k != &key);
        }
        inner.bytes += size;
        inner.order.push_back(key);
        while inner.bytes > self.max_bytes {
            let Some(k) = inner.order.pop_front() else { break };
            if let Some((_, s)) = inner.map.remove(&k) {
                inner.bytes -= s;
            }
        }
    }

    /// Forgets every partition of a block (deleted or replaced).
    pub fn forget(&self, block_id: &str) {
        let mut inner = self.inner.lock().expect("cache lock");
        let keys: Vec<Key> = inner.map.keys().filter(|k| k.0 == block_id).cloned().collect();
        for k in keys {
            if let Some((_, s)) = inner.map.remove(&k) {
                inner.bytes -= s;
            }
            inner.order.retain(|o| o != &k);
        }
    }
}
