//! Compaction, retention and deletion: every change to existing objects.
//! Each writes the replacement first, swaps it into the catalog, and only
//! deletes what it replaced after `delete_delay`, so a crash at any point
//! leaves either the old objects or the new one readable (at open, objects
//! named as another's `sources` are deleted).

use std::collections::BTreeMap;
use std::time::Instant;

use crate::background::{self, join_error};
use crate::consolidate;
use crate::error::Result;
use crate::format::decode_meta;
use crate::merge::{bucket_start, compute_rollups, PartitionMerger};
use crate::objects::{self, ObjectInfo};
use crate::read_partition::{decode_partition_shared, Part};
use crate::store::Store;
use crate::symbol_cache::SymbolCache;

/// Samples in an object, from its footer.
fn samples(o: &ObjectInfo) -> u64 {
    o.meta.partitions.iter().map(|p| p.samples_count).sum()
}

/// Splits objects (oldest first) into groups of at most `budget` samples,
/// so a merge never holds more than that in memory; an object larger than
/// the budget is a group of its own.
fn chunks(mut objects: Vec<ObjectInfo>, budget: u64) -> Vec<Vec<ObjectInfo>> {
    objects.sort_by_key(|o| (o.meta.min_time_nanos, o.meta.id.clone()));
    let mut out: Vec<Vec<ObjectInfo>> = Vec::new();
    let mut used = 0u64;
    for o in objects {
        let n = samples(&o);
        if out.is_empty() || used + n > budget {
            out.push(Vec::new());
            used = 0;
        }
        used += n;
        out.last_mut().expect("a group was pushed").push(o);
    }
    out
}

/// Decodes a block's partitions one by one into `merger`, all but those
/// of `drop_service`.
fn merge_block(
    merger: &mut PartitionMerger,
    bytes: &[u8],
    symbols: &SymbolCache,
    drop_service: Option<&str>,
) -> Result<()> {
    for pm in decode_meta(bytes)?.partitions.iter().filter(|pm| Some(pm.service.as_str()) != drop_service) {
        merger.add(decode_partition_shared(bytes, pm, Part::All, symbols)?);
    }
    Ok(())
}

/// Level of segments merged within an open window.
const LEVEL_MERGED: u32 = 1;
/// Level of a closed window's single block, with rollups.
const LEVEL_CLOSED: u32 = 2;

impl Store {
    /// One round of compaction and retention, then deletes what earlier
    /// rounds replaced.
    /// With a lease configured, only the store holding it compacts,
    /// applies retention and queues what other nodes' compactions replaced.
    pub async fn maintain(&self) -> Result<()> {
        let mut pending = self.inner.maintenance.lock().await;
        if self.hold_lease().await? {
            if self.inner.config.refresh_interval.is_some() {
                let stale = self.refresh_catalog().await?;
                let now = Instant::now();
                for o in stale {
                    if !pending.iter().any(|(p, _)| p.path == o.path) {
                        pending.push((o, now));
                    }
                }
            }
            let now = self.now();
            for tenant in self.tenants() {
                self.compact_tenant(&tenant, now, &mut pending).await?;
            }
            if self.lease_held() {
                self.apply_retention(now, &mut pending);
            }
        }
        self.delete_pending(&mut pending, false).await?;
        self.inner.labels.sweep();
        Ok(())
    }

    /// Compacts, applies retention and deletes replaced objects at once
    /// (tests and shutdown: no query can be running on them).
    pub async fn maintain_now(&self) -> Result<()> {
        self.maintain().await?;
        let mut pending = self.inner.maintenance.lock().await;
        self.delete_pending(&mut pending, true).await
    }

    async fn compact_tenant(&self, tenant: &str, now: i64, pending: &mut Vec<(ObjectInfo, Instant)>) -> Result<()> {
        let window = self.inner.config.window.as_nanos() as i64;
        let grace = self.inner.config.window_grace.as_nanos() as i64;
        let objects = self.inner.catalog.read().expect("catalog lock").objects(tenant);
        let mut by_window: BTreeMap<i64, Vec<ObjectInfo>> = BTreeMap::new();
        for o in objects {
            by_window.entry(bucket_start(o.meta.min_time_nanos, window)).or_default().push(o);
        }
        let budget = self.inner.config.compaction_max_samples;
        for (start, group) in by_window {
            let closed = now > start + window + grace;
            // A closed window ends as level-2 blocks with rollups; in an open
            // one, new segments are merged with the level-1 blocks still
            // under half the budget, so level-1 blocks grow instead of
            // piling up one per round.
            let (level, todo): (u32, Vec<ObjectInfo>) = if closed {
                (LEVEL_CLOSED, group.into_iter().filter(|o| o.meta.level < LEVEL_CLOSED).collect())
            } else {
                let small = |o: &ObjectInfo| o.meta.level == LEVEL_MERGED && samples(o) < budget / 2;
                (LEVEL_MERGED, group.into_iter().filter(|o| o.meta.level == 0 || small(o)).collect())
            };
            let new_segments = todo.iter().filter(|o| o.meta.level == 0).count();
            if todo.is_empty() || (!closed && (todo.len() < 2 || new_segments == 0)) {
                continue;
            }
            for chunk in chunks(todo, budget) {
                if !closed && chunk.len() < 2 {
                    continue;
                }
                self.rewrite(tenant, chunk, level, closed.then_some(window), None, pending).await?;
            }
        }
        self.consolidate_tenant(tenant, now, pending).await
    }

    /// Consolidates the closed-window blocks of every period whose windows
    /// are all closed.
    async fn consolidate_tenant(&self, tenant: &str, now: i64, pending: &mut Vec<(ObjectInfo, Instant)>) -> Result<()> {
        let Some(period) = self.inner.config.consolidation_period else { return Ok(()) };
        let period = period.as_nanos() as i64;
        let after = (self.inner.config.window + self.inner.config.window_grace).as_nanos() as i64;
        let objects = self.inner.catalog.read().expect("catalog lock").objects(tenant);
        let mut by_period: BTreeMap<(i64, i64), Vec<ObjectInfo>> = BTreeMap::new();
        for o in objects.into_iter().filter(|o| o.meta.level == LEVEL_CLOSED) {
            let start = bucket_start(o.meta.min_time_nanos, period);
            if bucket_start(o.meta.max_time_nanos, period) == start && now > start + period + after {
                by_period.entry((start, o.meta.rollup_nanos)).or_default().push(o);
            }
        }
        for group in by_period.into_values().flat_map(consolidate::groups) {
            if group.len() >= 2 {
                self.consolidate(tenant, group, None, pending).await?;
            }
        }
        Ok(())
    }

    /// Replaces `sources` by one block of their partitions but those of
    /// `drop_service`, with rollups when `rollup_nanos` is given. Decoding
    /// and merging run on the background pool.
    async fn rewrite(
        &self,
        tenant: &str,
        sources: Vec<ObjectInfo>,
        level: u32,
        rollup_nanos: Option<i64>,
        drop_service: Option<&str>,
        pending: &mut Vec<(ObjectInfo, Instant)>,
    ) -> Result<()> {
        if !self.hold_lease().await? {
            return Ok(());
        }
        let mut merger = PartitionMerger::default();
        for o in &sources {
            let bytes = objects::get(self.inner.object_store.as_ref(), &o.path).await?;
            let (store, drop_service) = (self.clone(), drop_service.map(str::to_owned));
            let added;
            (merger, added) = background::spawn(move || {
                let added = merge_block(&mut merger, &bytes, &store.inner.symbols, drop_service.as_deref());
                (merger, added)
            })
            .await
            .map_err(join_error)?;
            if let Err(e) = added {
                // A damaged object is left alone, not merged.
                self.quarantine(o, e.to_string()).await;
                return Ok(());
            }
        }
        let merged = background::spawn(move || {
            let mut merged = merger.finish();
            if let Some(r) = rollup_nanos {
                merged.iter_mut().for_each(|p| compute_rollups(p, r));
            }
            merged
        })
        .await
        .map_err(join_error)?;
        let ids: Vec<String> = sources.iter().map(|o| o.meta.id.clone()).collect();
        if !self.lease_held() {
            return Ok(()); // lost while merging: the new holder compacts these
        }
        let new = self.write_block(tenant, level, ids.clone(), merged, rollup_nanos.unwrap_or(0)).await?;
        self.inner.recent.replaced(tenant, &sources, new.as_ref());
        let replaced = self.inner.catalog.write().expect("catalog lock").replace(tenant, &ids, new);
        let now = Instant::now();
        pending.extend(replaced.into_iter().map(|o| (o, now)));
        Ok(())
    }

    /// Drops objects older than the retention age, then the oldest objects
    /// while the total size is over the limit.
    fn apply_retention(&self, now: i64, pending: &mut Vec<(ObjectInfo, Instant)>) {
        let cfg = &self.inner.config;
        let mut catalog = self.inner.catalog.write().expect("catalog lock");
        let mut all = catalog.all();
        all.sort_by_key(|o| o.meta.max_time_nanos);
        let mut total: u64 = all.iter().map(|o| o.size).sum();
        let cutoff = cfg.retention_max_age.map(|a| now - a.as_nanos() as i64);
        for o in all {
            let too_old = cutoff.is_some_and(|c| o.meta.max_time_nanos < c);
            let too_big = cfg.retention_max_bytes.is_some_and(|m| total > m);
            if !(too_old || too_big) {
                continue;
            }
            total -= o.size;
            let removed = catalog.remove(&o.meta.tenant, std::slice::from_ref(&o.meta.id));
            pending.extend(removed.into_iter().map(|o| (o, Instant::now())));
        }
    }

    async fn delete_pending(&self, pending: &mut Vec<(ObjectInfo, Instant)>, all: bool) -> Result<()> {
        let delay = self.inner.config.delete_delay;
        let (due, keep): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(_, at)| all || at.elapsed() >= delay);
        *pending = keep;
        for (o, _) in due {
            objects::delete(self.inner.object_store.as_ref(), &o.path).await?;
            self.forget_cached(&o.meta.id);
        }
        Ok(())
    }

    /// Deletes every profile of one service of a tenant, from compacted
    /// blocks too. Data accepted before the call is included.
    /// With a lease configured, only its holder deletes.
    pub async fn delete_service(&self, tenant: &str, service: &str) -> Result<()> {
        self.flush().await;
        let mut pending = self.inner.maintenance.lock().await;
        if !self.hold_lease().await? {
            let holder = "another node holds the compactor lease: delete through it";
            return Err(crate::Error::new(crate::ErrorKind::InvalidArgument, holder));
        }
        let objects = self.inner.catalog.read().expect("catalog lock").objects(tenant);
        for o in objects.into_iter().filter(|o| o.meta.partitions.iter().any(|p| p.service == service)) {
            if o.meta.partitions.len() == 1 {
                // Deleted at once: a whole object has no replacement that
                // would mark it as superseded after a crash.
                self.inner.catalog.write().expect("catalog lock").remove(tenant, std::slice::from_ref(&o.meta.id));
                objects::delete(self.inner.object_store.as_ref(), &o.path).await?;
                self.forget_cached(&o.meta.id);
                continue;
            }
            if o.meta.level == consolidate::LEVEL_CONSOLIDATED {
                self.consolidate(tenant, vec![o.clone()], Some(service), &mut pending).await?;
                continue;
            }
            let rollup = (o.meta.rollup_nanos > 0).then_some(o.meta.rollup_nanos);
            self.rewrite(tenant, vec![o.clone()], o.meta.level, rollup, Some(service), &mut pending).await?;
        }
        Ok(())
    }
}
