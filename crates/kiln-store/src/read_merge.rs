//! Merged call trees. The selected partitions are loaded a few at a time
//! and handed to merge workers on the blocking pool (at most one per core
//! across every query at once, so the async runtime keeps serving). A
//! worker adds the samples of every partition whose stack ids mean the
//! same stacks (one head dictionary's, or one decoded table's) into one
//! array per group, by stack id, and at the end turns each such id
//! space's used stacks into a call tree with its largest table; trees of
//! different id spaces meet by frame name. Stacks that carry no sample in
//! the range are never touched.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use kiln_model::stacks::{StackMerger, StackSamples, SymbolDb};
use kiln_model::Tree;
use tokio::sync::{mpsc, OwnedSemaphorePermit};

use crate::background::join_error;
use crate::error::{Error, Result};
use crate::labels::{Labels, SeriesFilter};
use crate::merge::bucket_start;
use crate::partition::Partition;
use crate::read::{parts_to_read, Selected, TimeRange, LOADS_AT_ONCE};
use crate::recent::Covered;
use crate::store::Store;

/// One selected partition, loaded: the sections its plan needs.
struct Loaded {
    sel: Selected,
    bucket: i64,
    parts: Vec<Arc<Partition>>,
}

/// An id space of stacks: a head dictionary's own ids, or one decoded
/// table's (by address: the `Arc` kept in [`TableSums`] keeps it unique).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IdSpace {
    Dictionary(u64),
    Table(usize),
}

impl IdSpace {
    pub(crate) fn of(p: &Partition) -> IdSpace {
        match p.dictionary {
            Some(d) => IdSpace::Dictionary(d.id),
            None => IdSpace::Table(Arc::as_ptr(&p.db) as usize),
        }
    }
}

/// Per-group sums by stack id of the partitions of one id space, and the
/// largest table seen for it.
struct TableSums {
    db: Arc<SymbolDb>,
    groups: BTreeMap<Labels, StackMerger>,
}

/// A merge worker's state: sums per id space.
#[derive(Default)]
struct Sums {
    tables: HashMap<IdSpace, TableSums>,
}

/// What a merge builds from the sums of each id space.
pub(crate) trait MergeOutput: Default + Send + 'static {
    /// Adds one group's values, by stack id of `db`.
    fn add(&mut self, key: Labels, db: &SymbolDb, values: &[i64]);
    /// Adds another worker's output.
    fn absorb(&mut self, other: Self);
}

/// Call trees, one per group.
impl MergeOutput for BTreeMap<Labels, Tree> {
    fn add(&mut self, key: Labels, db: &SymbolDb, values: &[i64]) {
        db.add_to_tree(self.entry(key).or_default(), values);
    }

    fn absorb(&mut self, other: Self) {
        for (key, tree) in other {
            match self.entry(key) {
                Entry::Vacant(e) => {
                    e.insert(tree);
                }
                Entry::Occupied(mut e) => e.get_mut().merge(&tree),
            }
        }
    }
}

/// Every group's stacks in one table, by location: what a merged pprof
/// is made of.
#[derive(Debug, Default)]
pub struct MergedStacks {
    pub db: SymbolDb,
    /// Merged value by stack id of `db`.
    pub values: StackMerger,
}

impl MergeOutput for MergedStacks {
    fn add(&mut self, _: Labels, db: &SymbolDb, values: &[i64]) {
        let stacks = self.db.add_used_stacks(db, values);
        let (ids, values) = stacks.into_iter().unzip();
        self.values.add(&StackSamples { stack_ids: ids, values });
    }

    fn absorb(&mut self, other: Self) {
        self.add(Labels::new(), &other.db, other.values.values());
    }
}

impl Sums {
    fn add(&mut self, loaded: &Loaded, range: TimeRange, recent: &Covered) {
        let db = &loaded.parts[0].db;
        let table = self
            .tables
            .entry(IdSpace::of(&loaded.parts[0]))
            .or_insert_with(|| TableSums { db: db.clone(), groups: BTreeMap::new() });
        if db.stacks.len() > table.db.stacks.len() {
            table.db = db.clone();
        }
        for p in &loaded.parts {
            add_partition(&mut table.groups, p, &loaded.sel, range, loaded.bucket, recent);
        }
    }

    /// Adds the sums the open window's pre-aggregate answers with.
    fn add_recent(&mut self, recent: &Covered) {
        for (dictionary, db, key, values) in &recent.sums {
            let table = self
                .tables
                .entry(IdSpace::Dictionary(*dictionary))
                .or_insert_with(|| TableSums { db: db.clone(), groups: BTreeMap::new() });
            if db.stacks.len() > table.db.stacks.len() {
                table.db = db.clone();
            }
            table.groups.entry(key.clone()).or_default().add(values);
        }
    }

    fn finish<O: MergeOutput>(self) -> O {
        let mut out = O::default();
        for table in self.tables.into_values() {
            for (key, sums) in table.groups {
                out.add(key, &table.db, sums.values());
            }
        }
        out
    }
}

/// Adds one loaded partition's wanted series to their groups: rollups
/// for buckets wholly inside the range, rows for the rest but those the
/// open window's pre-aggregate answers.
fn add_partition(
    groups: &mut BTreeMap<Labels, StackMerger>,
    p: &Partition,
    sel: &Selected,
    range: TimeRange,
    bucket: i64,
    recent: &Covered,
) {
    let covered = |t: i64| {
        bucket > 0 && {
            let b = bucket_start(t, bucket);
            range.start <= b && b.saturating_add(bucket - 1) <= range.end
        }
    };
    let mut add = |key: &Labels, samples| match groups.get_mut(key) {
        Some(m) => m.add(samples),
        None => groups.entry(key.clone()).or_default().add(samples),
    };
    for r in &p.rollups {
        if let (Some(key), true) = (sel.series.get(&r.series), covered(r.start_nanos)) {
            add(key, &r.samples);
        }
    }
    for row in &p.rows {
        let Some(key) = sel.series.get(&row.series) else { continue };
        if range.contains(row.time_nanos) && !covered(row.time_nanos) && !recent.covers(row.time_nanos) {
            add(key, &row.samples);
        }
    }
}

fn worker_of(p: &Partition, workers: usize) -> usize {
    let key = match IdSpace::of(p) {
        IdSpace::Dictionary(id) => id,
        IdSpace::Table(address) => (address >> 6) as u64,
    };
    (key % workers as u64) as usize
}

impl Store {
    /// Permits for a query's merge workers: one, waited for, and as many
    /// more as are free now.
    async fn merge_permits(&self) -> Vec<OwnedSemaphorePermit> {
        let pool = &self.inner.merge_workers;
        let first = pool.clone().acquire_owned().await.expect("the merge pool is never closed");
        let mut permits = vec![first];
        while let Ok(p) = pool.clone().try_acquire_owned() {
            permits.push(p);
        }
        permits
    }

    /// Merged call trees of the matching series over the range, one per
    /// distinct value of the `group_by` labels; with `rollups`, whole
    /// rollup buckets inside the range are read from rollups, and the open
    /// window from its pre-aggregate where it answers (`recent.rs`).
    pub(crate) async fn merge_with<O: MergeOutput>(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        rollups: bool,
    ) -> Result<O> {
        self.replanning(|| self.merge_once(tenant, filter, range, group_by, rollups)).await
    }

    /// One plan of [`Store::merge_with`]; fails with `ErrorKind::Gone` when
    /// a planned object was deleted meanwhile.
    async fn merge_once<O: MergeOutput>(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        rollups: bool,
    ) -> Result<O> {
        let (objects, recent) = {
            let catalog = self.inner.catalog.read().expect("catalog lock");
            let objects = catalog.overlapping(tenant, range.start, range.end);
            let recent = match rollups {
                true => self.inner.recent.covered(tenant, &objects, filter, range, group_by),
                false => Covered::default(),
            };
            (objects, Arc::new(recent))
        };
        let plans: Vec<(Selected, i64, Vec<_>)> = Self::select_in(objects, filter, range, group_by)
            .into_iter()
            .map(|sel| {
                let bucket = if rollups { sel.object.meta.rollup_nanos } else { 0 };
                let parts = if recent.covers_partition(&sel) { Vec::new() } else { parts_to_read(&sel, range, bucket) };
                (sel, bucket, parts)
            })
            .filter(|(_, _, parts)| !parts.is_empty())
            .collect();
        let (senders, workers): (Vec<_>, Vec<_>) = self
            .merge_permits()
            .await
            .into_iter()
            .enumerate()
            .map(|(i, permit)| {
                let (tx, mut rx) = mpsc::channel::<Loaded>(8);
                let recent = recent.clone();
                let worker = crate::background::spawn(move || {
                    let _permit = permit;
                    let mut sums = Sums::default();
                    // The first worker also adds the pre-aggregate's sums.
                    if i == 0 {
                        sums.add_recent(&recent);
                    }
                    while let Some(loaded) = rx.blocking_recv() {
                        sums.add(&loaded, range, &recent);
                    }
                    sums.finish::<O>()
                });
                (tx, worker)
            })
            .unzip();
        let mut loaded = futures::stream::iter(plans)
            .map(|(sel, bucket, wanted)| async move {
                let mut parts = Vec::with_capacity(wanted.len());
                for part in wanted {
                    match self.load(&sel.object, sel.partition, part).await? {
                        Some(p) => parts.push(p),
                        None => return Ok(None),
                    }
                }
                Ok::<_, Error>(Some(Loaded { sel, bucket, parts }))
            })
            .buffered(LOADS_AT_ONCE);
        while let Some(next) = loaded.next().await {
            let Some(l) = next? else { continue };
            let w = worker_of(&l.parts[0], senders.len());
            if senders[w].send(l).await.is_err() {
                break; // the worker panicked: its join below reports it
            }
        }
        drop(senders);
        let mut outputs = Vec::with_capacity(workers.len());
        for w in workers {
            outputs.push(w.await.map_err(join_error)?);
        }
        crate::background::spawn(move || {
            let mut outputs = outputs.into_iter();
            let mut out = outputs.next().unwrap_or_default();
            outputs.for_each(|o| out.absorb(o));
            out
        })
        .await
        .map_err(join_error)
    }
}
