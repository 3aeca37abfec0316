//! The read API the query engine uses: series, merged call trees (from
//! rollups where whole buckets are asked for, raw rows elsewhere), totals
//! per step, label names and values, single profiles, stats.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kiln_model::stacks::StackMerger;
use kiln_model::Tree;

use crate::error::{ErrorKind, Result};
use crate::format::decode_meta;
use crate::labels::{Labels, SeriesFilter};
use crate::merge::bucket_start;
use crate::objects::{self, ObjectInfo};
use crate::partition::Partition;
use crate::read_partition::decode_partition;
use crate::store::Store;

/// An inclusive time range in Unix nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: i64,
    pub end: i64,
}

impl TimeRange {
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t <= self.end
    }
}

/// One partition of one object with the series a query wants from it.
pub(crate) struct Selected {
    pub object: ObjectInfo,
    pub partition: usize,
    /// Wanted series of the partition, and each one's group key.
    pub series: BTreeMap<u32, Labels>,
}

/// Per-tenant figures for `GetProfileStats` and operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub objects: usize,
    pub bytes: u64,
    pub profiles: u64,
    pub series: usize,
    pub oldest_nanos: Option<i64>,
    pub newest_nanos: Option<i64>,
}

fn group_key(labels: &Labels, group_by: &[String]) -> Labels {
    group_by.iter().filter_map(|g| labels.iter().find(|(n, _)| n == g).cloned()).collect()
}

impl Store {
    pub fn tenants(&self) -> Vec<String> {
        self.inner.catalog.read().expect("catalog lock").tenants().map(str::to_owned).collect()
    }

    /// The partitions and series a query touches, from footers alone.
    pub(crate) fn select(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
    ) -> Vec<Selected> {
        let objects = self.inner.catalog.read().expect("catalog lock").overlapping(tenant, range.start, range.end);
        let mut out = Vec::new();
        for object in objects {
            for (pi, part) in object.series.iter().enumerate() {
                let series: BTreeMap<u32, Labels> = part
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.max_time_nanos >= range.start && s.min_time_nanos <= range.end)
                    .filter(|(_, s)| filter.matches(&s.labels))
                    .map(|(i, s)| (i as u32, group_key(&s.labels, group_by)))
                    .collect();
                if !series.is_empty() {
                    out.push(Selected { object: object.clone(), partition: pi, series });
                }
            }
        }
        out
    }

    /// A decoded partition, from the cache or the object store. `None`
    /// when the object is gone (replaced meanwhile) or damaged (reported).
    pub(crate) async fn load(
        &self,
        object: &ObjectInfo,
        partition: usize,
        with_samples: bool,
    ) -> Result<Option<Arc<Partition>>> {
        let key = (object.meta.id.clone(), partition, with_samples);
        if let Some(p) = self.inner.cache.get(&key) {
            return Ok(Some(p));
        }
        let bytes = match objects::get(self.inner.object_store.as_ref(), &object.path).await {
            Ok(b) => b,
            Err(e) if e.kind == ErrorKind::Storage && e.message.contains("not found") => return Ok(None),
            Err(e) => return Err(e),
        };
        let decoded = tokio::task::spawn_blocking(move || {
            let meta = decode_meta(&bytes)?;
            let pm =
                meta.partitions.get(partition).ok_or_else(|| crate::Error::corrupt("partition index out of range"))?;
            decode_partition(&bytes, pm, with_samples)
        })
        .await
        .map_err(|e| crate::Error::new(ErrorKind::Storage, e.to_string()))?;
        match decoded {
            Ok(p) => {
                let p = Arc::new(p);
                self.inner.cache.insert(key, p.clone());
                Ok(Some(p))
            }
            Err(e) => {
                self.report_corrupt(format!("{} partition {partition}: {e}", object.path));
                Ok(None)
            }
        }
    }

    /// Merged call trees of the matching series over the range, one per
    /// distinct value of the `group_by` labels (one tree when empty).
    /// Whole rollup buckets inside the range are read from rollups.
    pub async fn merge_trees(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
    ) -> Result<BTreeMap<Labels, Tree>> {
        self.merge_trees_with(tenant, filter, range, group_by, true).await
    }

    /// Like [`Store::merge_trees`] but always from raw rows: the baseline
    /// rollups are measured against.
    pub async fn merge_trees_raw(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
    ) -> Result<BTreeMap<Labels, Tree>> {
        self.merge_trees_with(tenant, filter, range, group_by, false).await
    }

    /// One merged tree of every matching series.
    pub async fn merge_tree(&self, tenant: &str, filter: &dyn SeriesFilter, range: TimeRange) -> Result<Tree> {
        Ok(self.merge_trees(tenant, filter, range, &[]).await?.into_values().next().unwrap_or_default())
    }

    async fn merge_trees_with(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        rollups: bool,
    ) -> Result<BTreeMap<Labels, Tree>> {
        let mut out: BTreeMap<Labels, Tree> = BTreeMap::new();
        for sel in self.select(tenant, filter, range, group_by) {
            let bucket = if rollups { sel.object.meta.rollup_nanos } else { 0 };
            let needs_rows =
                !covers_block(range, bucket, sel.object.meta.min_time_nanos, sel.object.meta.max_time_nanos);
            let Some(p) = self.load(&sel.object, sel.partition, needs_rows).await? else { continue };
            for (key, merger) in merge_partition(&p, &sel, range, bucket) {
                let tree = p.db.tree(merger.values());
                out.entry(key).or_default().merge(&tree);
            }
        }
        Ok(out)
    }

    /// Per group, the sum and count of profile totals in each step: a
    /// profile at `t` counts toward `start + k*step`, the first point at or
    /// after `t`.
    pub async fn series_totals(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        step_nanos: i64,
        group_by: &[String],
    ) -> Result<BTreeMap<Labels, BTreeMap<i64, (i64, u64)>>> {
        let step = step_nanos.max(1);
        let mut out: BTreeMap<Labels, BTreeMap<i64, (i64, u64)>> = BTreeMap::new();
        for sel in self.select(tenant, filter, range, group_by) {
            let Some(p) = self.load(&sel.object, sel.partition, false).await? else { continue };
            for row in &p.rows {
                let Some(key) = sel.series.get(&row.series) else { continue };
                if !range.contains(row.time_nanos) {
                    continue;
                }
                // In i128: `range.start` may be far before the data (i64::MIN).
                let offset = i128::from(row.time_nanos) - i128::from(range.start);
                let k = (offset + i128::from(step) - 1).div_euclid(i128::from(step));
                let t = (i128::from(range.start) + k * i128::from(step))
                    .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
                let point = out.entry(key.clone()).or_default().entry(t).or_default();
                point.0 = point.0.saturating_add(row.total);
                point.1 += 1;
            }
        }
        Ok(out)
    }

    /// Labels of the matching series with data in the range.
    pub fn series(&self, tenant: &str, filter: &dyn SeriesFilter, range: TimeRange) -> Vec<Labels> {
        let mut set = BTreeSet::new();
        for sel in self.select(tenant, filter, range, &[]) {
            let part = &sel.object.series[sel.partition];
            for &i in sel.series.keys() {
                set.insert(part[i as usize].labels.as_ref().clone());
            }
        }
        set.into_iter().collect()
    }

    pub fn label_names(&self, tenant: &str, filter: &dyn SeriesFilter, range: TimeRange) -> Vec<String> {
        let names: BTreeSet<String> =
            self.series(tenant, filter, range).into_iter().flatten().map(|(n, _)| n).collect();
        names.into_iter().collect()
    }

    pub fn label_values(&self, tenant: &str, name: &str, filter: &dyn SeriesFilter, range: TimeRange) -> Vec<String> {
        let values: BTreeSet<String> = self
            .series(tenant, filter, range)
            .into_iter()
            .filter_map(|l| l.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
            .collect();
        values.into_iter().collect()
    }

    pub fn stats(&self, tenant: &str) -> Stats {
        let objects = self.inner.catalog.read().expect("catalog lock").objects(tenant);
        let mut series = BTreeSet::new();
        let mut s = Stats { objects: objects.len(), ..Stats::default() };
        for o in &objects {
            s.bytes += o.size;
            s.profiles += o.meta.partitions.iter().map(|pm| pm.profiles).sum::<u64>();
            series.extend(o.series.iter().flatten().map(|x| x.labels.clone()));
            s.oldest_nanos = Some(s.oldest_nanos.map_or(o.meta.min_time_nanos, |v| v.min(o.meta.min_time_nanos)));
            s.newest_nanos = Some(s.newest_nanos.map_or(o.meta.max_time_nanos, |v| v.max(o.meta.max_time_nanos)));
        }
        s.series = series.len();
        s
    }
}

/// True when every bucket the block touches lies inside the range, so its
/// rollups answer for all of its rows.
fn covers_block(range: TimeRange, bucket: i64, min: i64, max: i64) -> bool {
    bucket > 0 && range.start <= bucket_start(min, bucket) && bucket_start(max, bucket) + bucket - 1 <= range.end
}

/// Sums one partition's wanted series per group: rollups for buckets
/// wholly inside the range, rows for the rest.
fn merge_partition(p: &Partition, sel: &Selected, range: TimeRange, bucket: i64) -> BTreeMap<Labels, StackMerger> {
    let covered = |t: i64| {
        bucket > 0 && {
            let b = bucket_start(t, bucket);
            range.start <= b && b + bucket - 1 <= range.end
        }
    };
    let mut out: BTreeMap<Labels, StackMerger> = BTreeMap::new();
    for r in &p.rollups {
        if let (Some(key), true) = (sel.series.get(&r.series), covered(r.start_nanos)) {
            out.entry(key.clone()).or_default().add(&r.samples);
        }
    }
    for row in &p.rows {
        let Some(key) = sel.series.get(&row.series) else { continue };
        if range.contains(row.time_nanos) && !covered(row.time_nanos) {
            out.entry(key.clone()).or_default().add(&row.samples);
        }
    }
    out
}
