//! Constant pools: checkpoint events hold (type, key) -> value tables.
//! The header points at the chunk's last checkpoint; each checkpoint holds
//! the (negative) offset of the one before it, 0 ending the chain. Walking
//! it backwards and keeping the first value seen per key lets later
//! checkpoints override earlier ones, as the JDK's reader does.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::Result;

use super::chunk::{ChunkHeader, HEADER_SIZE};
use super::reader::Reader;
use super::value::{Value, ValueReader};

/// Type id of checkpoint (constant pool) events.
pub(crate) const CHECKPOINT_EVENT: u64 = 1;

/// All pools of one chunk: type id -> key -> value.
#[derive(Debug, Default)]
pub(crate) struct Pools {
    pools: FxHashMap<u64, FxHashMap<u64, Value>>,
}

impl Pools {
    /// The value stored under `key` in the pool of `type_id`.
    pub(crate) fn get(&self, type_id: u64, key: u64) -> Option<&Value> {
        self.pools.get(&type_id)?.get(&key)
    }

    /// Reads every checkpoint of the chunk `chunk` (a reader over the whole
    /// chunk) by following the chain from the header's offset.
    pub(crate) fn read(chunk: &Reader<'_>, header: &ChunkHeader, values: &mut ValueReader<'_>) -> Result<Pools> {
        let mut pools = Pools::default();
        let mut visited = FxHashSet::default();
        let mut offset = header.constant_pool_offset;
        loop {
            let mut r = chunk.clone();
            r.skip(offset, "checkpoint offset")?;
            if !visited.insert(offset) {
                return Err(r.error("checkpoint chain loops"));
            }
            let delta = pools.read_checkpoint(&mut r, values)?;
            if delta == 0 {
                return Ok(pools);
            }
            match (offset as i64).checked_add(delta) {
                Some(previous) if previous >= HEADER_SIZE as i64 && previous < header.size as i64 => {
                    offset = previous as usize;
                }
                _ => return Err(r.error(format!("checkpoint delta {delta} points outside the chunk"))),
            }
        }
    }

    /// Reads one checkpoint event; returns its delta to the previous one.
    fn read_checkpoint(&mut self, r: &mut Reader<'_>, values: &mut ValueReader<'_>) -> Result<i64> {
        let mut ev = r.event()?;
        let ty = ev.long("checkpoint type")?;
        if ty as u64 != CHECKPOINT_EVENT {
            return Err(ev.error(format!("expected a checkpoint event (type 1), found type {ty}")));
        }
        ev.long("checkpoint start")?;
        ev.long("checkpoint duration")?;
        let delta = ev.long("checkpoint delta")?;
        ev.u8("checkpoint kind")?;
        let n_pools = ev.count("pool count")?;
        for _ in 0..n_pools {
            let type_id = ev.long("pool type")? as u64;
            let n = ev.count("pool size")?;
            for _ in 0..n {
                let key = ev.long("pool key")? as u64;
                let value = values.pool_entry(&mut ev, type_id)?;
                self.pools.entry(type_id).or_default().entry(key).or_insert(value);
            }
        }
        Ok(delta)
    }
}
