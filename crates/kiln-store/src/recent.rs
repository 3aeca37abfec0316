//! The open window, pre-aggregated at ingest. Every segment's rows are
//! also added, per series and per [`RECENT_BUCKET`] of time, into one
//! sparse list of (stack id, value) of the series' head dictionary, in
//! memory.
//! A merge over recent data then reads about one array per series per
//! bucket instead of decoding every profile's samples; exemplars, single
//! profiles and span queries still read raw rows.
//!
//! A bucket answers a query only when it provably holds exactly the rows
//! the catalog holds for that time: every object the query sees there is a
//! segment added here or a compacted block whose sources all were
//! (`leaves`), every segment added to the bucket is still among them, the
//! object has no rollups (closed windows answer from their own rollups),
//! the bucket was never evicted, and all its rows lie inside the range.
//! Anything else (data written before a restart or by another node, a
//! quarantined or retention-deleted object, a deleted service) makes the
//! bucket fall back to raw rows. Memory is bounded by
//! `StoreConfig::recent_bytes`: the oldest buckets are dropped first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use kiln_model::stacks::{StackSamples, SymbolDb};

use crate::codec;
use crate::dict::EncodedSymbols;
use crate::error::{Error, Result};
use crate::format::{decode_section, section_bytes};
use crate::labels::{Labels, SeriesFilter};
use crate::merge::bucket_start;
use crate::objects::ObjectInfo;
use crate::partition::Partition;
use crate::pb;
use crate::read::{group_key, Selected, TimeRange};
use crate::store::Store;
use crate::symbol_cache::SymbolCache;

/// Width of a pre-aggregated bucket.
pub const RECENT_BUCKET: Duration = Duration::from_secs(10);

/// Rough bytes of a bucket's series entry beyond its values.
const ENTRY_BYTES: usize = 256;
/// Bytes of one (stack id, value) pair.
const PAIR_BYTES: usize = 12;
/// Rough bytes of one segment id kept in a bucket or a lineage.
const ID_BYTES: usize = 64;

/// The pre-aggregate of every tenant.
pub(crate) struct Recent {
    state: Mutex<State>,
    max_bytes: usize,
    bucket: i64,
}

#[derive(Default)]
struct State {
    tenants: HashMap<String, TenantRecent>,
    bytes: usize,
}

#[derive(Default)]
struct TenantRecent {
    buckets: BTreeMap<i64, Bucket>,
    /// Objects whose every row went through [`Recent::add`], with the
    /// segments they hold: a segment itself, or a compacted block's
    /// sources' segments.
    leaves: HashMap<String, Lineage>,
    /// Buckets starting at or before this were dropped and are never
    /// kept again.
    horizon: Option<i64>,
    /// The largest table seen of each head dictionary in `buckets`.
    tables: HashMap<u64, Arc<SymbolDb>>,
    /// Series labels, shared by every bucket's entry of the series.
    labels: HashSet<Arc<Labels>>,
}

struct Lineage {
    segments: Arc<[String]>,
    max_nanos: i64,
}

#[derive(Default)]
struct Bucket {
    /// Segments whose rows in this bucket are summed here.
    segments: HashSet<String>,
    min_nanos: i64,
    max_nanos: i64,
    /// (series labels, dictionary id) -> values by stack id, ids sorted.
    series: HashMap<(Arc<Labels>, u64), Arc<StackSamples>>,
    bytes: usize,
}

/// One series' rows of one segment within one bucket, summed.
pub(crate) struct SeriesSum {
    labels: Labels,
    dictionary: u64,
    bucket: i64,
    min_nanos: i64,
    max_nanos: i64,
    sums: StackSamples,
}

/// A segment's contribution: its sums and the tables of its dictionaries
/// this store had not seen yet.
pub(crate) struct SegmentSums {
    sums: Vec<SeriesSum>,
    tables: Vec<(u64, Arc<SymbolDb>)>,
}

/// What the pre-aggregate answers for one query.
#[derive(Default)]
pub(crate) struct Covered {
    bucket: i64,
    /// Starts of the buckets read from here; their rows are skipped.
    buckets: BTreeSet<i64>,
    /// (dictionary, its table, group key, values by stack id)
    pub sums: Vec<(u64, Arc<SymbolDb>, Labels, Arc<StackSamples>)>,
}

/// A bucket's entry taken under the lock: (series, dictionary, its
/// table, values by stack id).
type Taken = (Arc<Labels>, u64, Arc<SymbolDb>, Arc<StackSamples>);

/// Fills `out.sums` from entries taken under the lock, testing each
/// distinct series against the filter once.
fn group_taken(out: &mut Covered, taken: Vec<Taken>, filter: &dyn SeriesFilter, group_by: &[String]) {
    let mut keys: HashMap<*const Labels, Option<Labels>> = HashMap::new();
    for (labels, dictionary, db, sums) in taken {
        let key = keys
            .entry(Arc::as_ptr(&labels))
            .or_insert_with(|| filter.matches(&labels).then(|| group_key(&labels, group_by)));
        if let Some(key) = key {
            out.sums.push((dictionary, db, key.clone(), sums));
        }
    }
}

impl Covered {
    /// Whether a row at `t` is answered here.
    pub fn covers(&self, t: i64) -> bool {
        !self.buckets.is_empty() && self.buckets.contains(&bucket_start(t, self.bucket))
    }

    /// Whether every selected series' rows of the partition are answered
    /// here, so it need not be read at all.
    pub fn covers_partition(&self, sel: &Selected) -> bool {
        if self.buckets.is_empty() {
            return false;
        }
        let entries = &sel.object.series[sel.partition];
        sel.series.keys().filter_map(|&i| entries.get(i as usize)).all(|s| {
            let (first, last) =
                (bucket_start(s.min_time_nanos, self.bucket), bucket_start(s.max_time_nanos, self.bucket));
            let wanted = (last - first) / self.bucket + 1;
            self.buckets.range(first..=last).count() as i64 == wanted
        })
    }
}

/// Sums a segment's rows per series and bucket; `None` when a partition
/// does not use a head dictionary's ids (then the segment is not added).
pub(crate) fn segment_sums(parts: &[(Partition, Arc<EncodedSymbols>)], bucket: i64) -> Option<Vec<SeriesSum>> {
    let mut out: Vec<SeriesSum> = Vec::new();
    for (p, _) in parts {
        let d = p.dictionary?;
        let mut at: HashMap<(u32, i64), usize> = HashMap::new();
        let mut pairs: Vec<Vec<(u32, i64)>> = Vec::new();
        let first = out.len();
        for row in &p.rows {
            let b = bucket_start(row.time_nanos, bucket);
            let i = *at.entry((row.series, b)).or_insert_with(|| {
                out.push(SeriesSum {
                    labels: p.series[row.series as usize].labels.clone(),
                    dictionary: d.id,
                    bucket: b,
                    min_nanos: row.time_nanos,
                    max_nanos: row.time_nanos,
                    sums: StackSamples::default(),
                });
                pairs.push(Vec::new());
                out.len() - 1
            });
            let s = &mut out[i];
            s.min_nanos = s.min_nanos.min(row.time_nanos);
            s.max_nanos = s.max_nanos.max(row.time_nanos);
            pairs[i - first].extend(row.samples.stack_ids.iter().copied().zip(row.samples.values.iter().copied()));
        }
        for (s, mut p) in out[first..].iter_mut().zip(pairs) {
            p.sort_unstable_by_key(|&(id, _)| id);
            s.sums = sparse_sum(p.into_iter());
        }
    }
    Some(out)
}

/// Pairs sorted by stack id, summed per id.
fn sparse_sum(pairs: impl Iterator<Item = (u32, i64)>) -> StackSamples {
    let mut out = StackSamples::default();
    for (id, v) in pairs {
        match out.stack_ids.last() {
            Some(&last) if last == id => {
                let to = out.values.last_mut().expect("values follow ids");
                *to = to.saturating_add(v);
            }
            _ => {
                out.stack_ids.push(id);
                out.values.push(v);
            }
        }
    }
    out
}

/// Two sparse sums (ids sorted) added into one.
fn sparse_add(a: &StackSamples, b: &StackSamples) -> StackSamples {
    let (mut x, mut y) = (a.stack_ids.iter().zip(&a.values).peekable(), b.stack_ids.iter().zip(&b.values).peekable());
    let merged = std::iter::from_fn(move || match (x.peek(), y.peek()) {
        (Some(p), Some(q)) if p.0 <= q.0 => x.next(),
        (Some(_), Some(_)) | (None, Some(_)) => y.next(),
        (Some(_), None) => x.next(),
        (None, None) => None,
    });
    sparse_sum(merged.map(|(&id, &v)| (id, v)))
}

/// The decoded table of a partition's `symbols` section, shared through
/// the symbol cache with every read of the same bytes.
fn dictionary_table(bytes: &[u8], pm: &pb::PartitionMeta, cache: &SymbolCache) -> Result<Arc<SymbolDb>> {
    let s = pm.symbols.ok_or_else(|| Error::corrupt(format!("partition {} has no symbols section", pm.service)))?;
    let b = section_bytes(bytes, &s)?;
    if let Some(db) = cache.get(s.crc32, b) {
        return Ok(db);
    }
    let db = Arc::new(codec::symbols_from_pb(decode_section(b, &s, "symbols")?)?);
    cache.insert(s.crc32, Bytes::copy_from_slice(b), &db);
    Ok(db)
}

impl Recent {
    pub fn new(max_bytes: usize) -> Recent {
        Recent { state: Mutex::default(), max_bytes, bucket: RECENT_BUCKET.as_nanos() as i64 }
    }

    pub fn bucket(&self) -> i64 {
        self.bucket
    }

    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// Adds to `sums` the tables of the dictionaries a segment's encoded
    /// `bytes` carry that are newer than the ones held; `None` when one
    /// cannot be read (then the segment is not added).
    pub fn with_tables(
        &self,
        tenant: &str,
        sums: Vec<SeriesSum>,
        bytes: &[u8],
        meta: &pb::BlockMeta,
        cache: &SymbolCache,
    ) -> Option<SegmentSums> {
        let held: HashMap<u64, usize> = {
            let state = self.state.lock().expect("recent lock");
            let t = state.tenants.get(tenant);
            meta.partitions
                .iter()
                .map(|pm| {
                    (pm.dictionary_id, t.and_then(|t| t.tables.get(&pm.dictionary_id)).map_or(0, |db| db.stacks.len()))
                })
                .collect()
        };
        let mut tables = Vec::new();
        for pm in &meta.partitions {
            if held.get(&pm.dictionary_id).is_none_or(|&n| (n as u64) < pm.dictionary_stacks) {
                tables.push((pm.dictionary_id, dictionary_table(bytes, pm, cache).ok()?));
            }
        }
        Some(SegmentSums { sums, tables })
    }

    /// Adds a written segment; call with the catalog's write lock held, just
    /// before the segment enters the catalog, so a query sees both or
    /// neither.
    pub fn add(&self, tenant: &str, segment: &str, max_nanos: i64, add: SegmentSums) {
        let mut state = self.state.lock().expect("recent lock");
        let t = state.tenants.entry(tenant.to_owned()).or_default();
        let mut grown = ID_BYTES;
        for (id, db) in add.tables {
            let e = t.tables.entry(id).or_insert_with(|| db.clone());
            if e.stacks.len() < db.stacks.len() {
                *e = db;
            }
        }
        for s in add.sums {
            if t.horizon.is_some_and(|h| s.bucket <= h) {
                continue;
            }
            let b = t.buckets.entry(s.bucket).or_insert_with(|| Bucket {
                min_nanos: s.min_nanos,
                max_nanos: s.max_nanos,
                ..Bucket::default()
            });
            b.min_nanos = b.min_nanos.min(s.min_nanos);
            b.max_nanos = b.max_nanos.max(s.max_nanos);
            if b.segments.insert(segment.to_owned()) {
                b.bytes += ID_BYTES;
                grown += ID_BYTES;
            }
            let labels = match t.labels.get(&s.labels) {
                Some(l) => l.clone(),
                None => {
                    let l = Arc::new(s.labels);
                    t.labels.insert(l.clone());
                    l
                }
            };
            let entry = b.series.entry((labels, s.dictionary)).or_insert_with(|| {
                b.bytes += ENTRY_BYTES;
                grown += ENTRY_BYTES;
                Arc::default()
            });
            let before = entry.stack_ids.len();
            *entry = Arc::new(sparse_add(entry, &s.sums));
            let added = (entry.stack_ids.len() - before) * PAIR_BYTES;
            b.bytes += added;
            grown += added;
        }
        t.leaves.insert(segment.to_owned(), Lineage { segments: Arc::from([segment.to_owned()]), max_nanos });
        state.bytes += grown;
        self.evict(&mut state);
    }

    /// Drops the oldest buckets while over the bound.
    fn evict(&self, state: &mut State) {
        while state.bytes > self.max_bytes {
            let oldest =
                state.tenants.iter().filter_map(|(name, t)| t.buckets.keys().next().map(|&b| (b, name.clone()))).min();
            let Some((start, tenant)) = oldest else { break };
            let t = state.tenants.get_mut(&tenant).expect("the tenant was just seen");
            let b = t.buckets.remove(&start).expect("the bucket was just seen");
            t.horizon = Some(t.horizon.map_or(start, |h| h.max(start)));
            let mut freed = b.bytes;
            let horizon = start;
            t.leaves.retain(|_, l| {
                let keep = l.max_nanos > horizon;
                if !keep {
                    freed += l.segments.len() * ID_BYTES;
                }
                keep
            });
            let used: HashSet<u64> = t.buckets.values().flat_map(|b| b.series.keys().map(|k| k.1)).collect();
            t.tables.retain(|id, _| used.contains(id));
            t.labels.retain(|l| Arc::strong_count(l) > 1);
            state.bytes = state.bytes.saturating_sub(freed);
        }
    }

    /// Compaction replaced `sources` by `new`: `new` is known when every
    /// source was and it holds as many rows as they did (a rewrite that
    /// drops a service's rows is not).
    pub fn replaced(&self, tenant: &str, sources: &[ObjectInfo], new: Option<&ObjectInfo>) {
        let rows = |o: &ObjectInfo| o.meta.partitions.iter().map(|p| p.profiles).sum::<u64>();
        let mut state = self.state.lock().expect("recent lock");
        let Some(t) = state.tenants.get_mut(tenant) else { return };
        let removed: Vec<Option<Lineage>> = sources.iter().map(|s| t.leaves.remove(&s.meta.id)).collect();
        let segments: Vec<String> = removed.iter().flatten().flat_map(|l| l.segments.iter().cloned()).collect();
        let freed = segments.len() * ID_BYTES;
        // Closed windows answer from their rollups: their blocks are never read from here.
        let faithful = new.filter(|n| {
            n.meta.rollup_nanos == 0
                && removed.iter().all(Option::is_some)
                && rows(n) == sources.iter().map(rows).sum::<u64>()
        });
        match faithful {
            Some(n) => {
                let lineage = Lineage { segments: segments.into(), max_nanos: n.meta.max_time_nanos };
                t.leaves.insert(n.meta.id.clone(), lineage);
            }
            None => state.bytes = state.bytes.saturating_sub(freed),
        }
    }

    /// The buckets that answer a query over `objects` (the catalog's
    /// objects overlapping the range, read under the same lock), with
    /// their sums of the matching series by group. Call with the catalog's
    /// read lock held.
    pub fn covered(
        &self,
        tenant: &str,
        objects: &[ObjectInfo],
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
    ) -> Covered {
        let mut out = Covered { bucket: self.bucket, ..Covered::default() };
        let taken = self.take(tenant, objects, range, &mut out.buckets);
        group_taken(&mut out, taken, filter, group_by);
        out
    }

    /// Under the lock, as little as can be: the starts of the buckets that
    /// answer (into `buckets`) and their entries.
    fn take(&self, tenant: &str, objects: &[ObjectInfo], range: TimeRange, buckets: &mut BTreeSet<i64>) -> Vec<Taken> {
        let mut taken = Vec::new();
        let state = self.state.lock().expect("recent lock");
        let Some(t) = state.tenants.get(tenant) else { return taken };
        // Far before any data (`i64::MIN`), the bucket start would overflow.
        let first = range.start.div_euclid(self.bucket).checked_mul(self.bucket).unwrap_or(i64::MIN);
        let candidates: Vec<(i64, &Bucket)> = t
            .buckets
            .range(first..=range.end)
            .filter(|(&start, b)| {
                t.horizon.is_none_or(|h| start > h) && range.start <= b.min_nanos && b.max_nanos <= range.end
            })
            .map(|(&s, b)| (s, b))
            .collect();
        let (Some(&(lo, _)), Some(&(hi, _))) = (candidates.first(), candidates.last()) else { return taken };
        let hi = hi.saturating_add(self.bucket - 1);
        let mut leaves: HashSet<&str> = HashSet::new();
        let mut unknown: Vec<(i64, i64)> = Vec::new();
        for o in objects.iter().filter(|o| o.meta.min_time_nanos <= hi && o.meta.max_time_nanos >= lo) {
            match t.leaves.get(&o.meta.id) {
                Some(l) if o.meta.rollup_nanos == 0 => leaves.extend(l.segments.iter().map(String::as_str)),
                _ => unknown.push((o.meta.min_time_nanos, o.meta.max_time_nanos)),
            }
        }
        for (start, b) in candidates {
            let end = start.saturating_add(self.bucket - 1);
            let clean = !unknown.iter().any(|&(lo, hi)| lo <= end && hi >= start);
            if !clean || !b.segments.iter().all(|s| leaves.contains(s.as_str())) {
                continue;
            }
            let entries: Option<Vec<Taken>> = b
                .series
                .iter()
                .map(|((labels, d), sums)| Some((labels.clone(), *d, t.tables.get(d)?.clone(), sums.clone())))
                .collect();
            // A dictionary whose table is gone cannot be read: raw rows then.
            let Some(entries) = entries else { continue };
            buckets.insert(start);
            taken.extend(entries);
        }
        taken
    }
}

impl Store {
    /// Bytes the open window's pre-aggregate holds now, by the count its
    /// bound (`StoreConfig::recent_bytes`) uses.
    pub fn recent_bytes(&self) -> usize {
        self.inner.recent.state.lock().expect("recent lock").bytes
    }
}
