//! The read API the query engine uses: series, merged call trees (from
//! rollups where whole buckets are asked for, raw rows elsewhere), totals
//! per step, label names and values, single profiles, stats.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use kiln_model::Tree;

use crate::consolidate::LEVEL_CONSOLIDATED;
use crate::error::{ErrorKind, Result};
use crate::labels::{Labels, SeriesFilter};
use crate::merge::bucket_start;
use crate::objects::{self, ObjectInfo, SeriesEntry};
use crate::partition::{Partition, SeriesInfo};
use crate::pb;
use crate::read_merge::MergedStacks;
use crate::read_partition::{all_sections, decode_shared, Part};
use crate::read_scan::OnGone;
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

/// Per group, per step: the sum and count of profile totals.
pub type Totals = BTreeMap<Labels, BTreeMap<i64, (i64, u64)>>;

pub(crate) fn group_key(labels: &Labels, group_by: &[String]) -> Labels {
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
        Self::select_in(objects, filter, range, group_by)
    }

    /// The partitions and series of `objects` a query touches.
    pub(crate) fn select_in(
        objects: Vec<ObjectInfo>,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
    ) -> Vec<Selected> {
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

    /// A partition's sections as `part` asks, decoded, from the cache or
    /// by ranged reads of the object. `None` when the object is damaged
    /// (reported); an `ErrorKind::Gone` error when it was deleted (replaced
    /// meanwhile: the caller re-plans).
    pub(crate) async fn load(
        &self,
        object: &ObjectInfo,
        partition: usize,
        part: Part,
    ) -> Result<Option<Arc<Partition>>> {
        let key = (object.meta.id.clone(), partition, part);
        if let Some(p) = self.inner.cache.get(&key) {
            return Ok(Some(p));
        }
        let (Some(pm), Some(series)) = (object.meta.partitions.get(partition), object.series.get(partition)) else {
            return Ok(None);
        };
        let wanted: Vec<pb::Section> =
            all_sections(pm).iter().zip(part.sections()).filter_map(|(s, w)| w.then_some(*s).flatten()).collect();
        if wanted.iter().any(|s| s.offset.checked_add(s.length).is_none_or(|e| e > object.size)) {
            self.quarantine(object, format!("partition {partition}: a section lies outside the object")).await;
            return Ok(None);
        }
        let fetched = self.fetch_sections(object, &wanted).await?;
        let pm = pm.clone();
        let series: Vec<SeriesInfo> = series.iter().map(SeriesEntry::info).collect();
        let store = self.clone();
        let decoded = crate::background::spawn(move || {
            decode_shared(&pm, series, part, &store.inner.symbols, |s| {
                let i = wanted.iter().position(|w| w == s).expect("every wanted section was fetched");
                Ok(&fetched[i][..])
            })
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
                self.quarantine(object, format!("partition {partition}: {e}")).await;
                Ok(None)
            }
        }
    }

    /// The bytes of `wanted` sections of an object, from the section cache
    /// or by one ranged request for those it lacks.
    async fn fetch_sections(&self, object: &ObjectInfo, wanted: &[pb::Section]) -> Result<Vec<Bytes>> {
        let key = |s: &pb::Section| (object.meta.id.clone(), s.offset, s.length);
        let mut out: Vec<Option<Bytes>> = wanted.iter().map(|s| self.inner.sections.get(&key(s))).collect();
        let missing: Vec<usize> = (0..wanted.len()).filter(|&i| out[i].is_none()).collect();
        if !missing.is_empty() {
            let ranges: Vec<_> =
                missing.iter().map(|&i| wanted[i].offset..wanted[i].offset + wanted[i].length).collect();
            let fetched = objects::get_ranges(self.inner.object_store.as_ref(), &object.path, &ranges).await?;
            for (&i, bytes) in missing.iter().zip(fetched) {
                self.inner.sections.insert(key(&wanted[i]), bytes.clone());
                out[i] = Some(bytes);
            }
        }
        Ok(out.into_iter().map(|b| b.expect("every section was found or fetched")).collect())
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
        self.merge_with(tenant, filter, range, group_by, true).await
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
        self.merge_with(tenant, filter, range, group_by, false).await
    }

    /// Every matching series' stacks over the range merged by location in
    /// one table: the merged pprof keeps addresses, mappings, functions,
    /// files and lines as ingested.
    pub async fn merge_stacks(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
    ) -> Result<MergedStacks> {
        self.merge_with(tenant, filter, range, &[], true).await
    }

    /// One merged tree of every matching series.
    pub async fn merge_tree(&self, tenant: &str, filter: &dyn SeriesFilter, range: TimeRange) -> Result<Tree> {
        Ok(self.merge_trees(tenant, filter, range, &[]).await?.into_values().next().unwrap_or_default())
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
    ) -> Result<Totals> {
        let step = step_nanos.max(1);
        self.replanning(|| {
            let selected = self.select_with_rows(tenant, filter, range, group_by);
            self.scan(selected, Part::Index, OnGone::Fail, Totals::new(), totals_visitor(range, step), |out| out)
        })
        .await
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

/// Adds each selected row's total to the point of its step.
fn totals_visitor(range: TimeRange, step: i64) -> impl FnMut(&mut Totals, &Selected, &Partition) + Send + 'static {
    move |out: &mut Totals, sel: &Selected, p: &Partition| {
        for row in &p.rows {
            let Some(key) = sel.series.get(&row.series) else { continue };
            if !range.contains(row.time_nanos) {
                continue;
            }
            // In i128: `range.start` may be far before the data (i64::MIN).
            let offset = i128::from(row.time_nanos) - i128::from(range.start);
            let k = (offset + i128::from(step) - 1).div_euclid(i128::from(step));
            let t = (i128::from(range.start) + k * i128::from(step)).clamp(i128::from(i64::MIN), i128::from(i64::MAX))
                as i64;
            let point = out.entry(key.clone()).or_default().entry(t).or_default();
            point.0 = point.0.saturating_add(row.total);
            point.1 += 1;
        }
    }
}

/// True when every bucket the block touches lies inside the range, so its
/// rollups answer for all of its rows.
fn covers_block(range: TimeRange, bucket: i64, min: i64, max: i64) -> bool {
    bucket > 0
        && range.start <= bucket_start(min, bucket)
        && bucket_start(max, bucket).saturating_add(bucket - 1) <= range.end
}

/// Decoded partitions fetched at once by a merge.
pub(crate) const LOADS_AT_ONCE: usize = 4;

/// Whether some whole bucket inside the range meets `[min, max]`.
fn covers_a_bucket(range: TimeRange, bucket: i64, min: i64, max: i64) -> bool {
    if bucket <= 0 {
        return false;
    }
    let (b, lo) = (i128::from(bucket), i128::from(range.start.max(bucket_start(min, bucket))));
    let first = (lo + b - 1).div_euclid(b) * b;
    first <= i128::from(max) && first + b - 1 <= i128::from(range.end)
}

/// The sections a merge reads from a selected partition: rollups alone
/// when whole buckets cover its selected series' rows, rows alone when no
/// bucket is covered, both at the edges of the range.
pub(crate) fn parts_to_read(sel: &Selected, range: TimeRange, bucket: i64) -> Vec<Part> {
    let entries = &sel.object.series[sel.partition];
    let pm = &sel.object.meta.partitions[sel.partition];
    let selected = sel.series.keys().filter_map(|&i| entries.get(i as usize));
    let (min, max) =
        selected.fold((i64::MAX, i64::MIN), |(lo, hi), s| (lo.min(s.min_time_nanos), hi.max(s.max_time_nanos)));
    let has_rows = pm.profiles > 0;
    // In a consolidated block, rollups live only in the partitions without rows.
    let rows_only = has_rows && sel.object.meta.level == LEVEL_CONSOLIDATED;
    if has_rows && (rows_only || !covers_a_bucket(range, bucket, min, max)) {
        return if rows_only && covers_block(range, bucket, min, max) { Vec::new() } else { vec![Part::Rows] };
    }
    if !has_rows || covers_block(range, bucket, min, max) {
        return if covers_a_bucket(range, bucket, min, max) { vec![Part::Rollups] } else { Vec::new() };
    }
    vec![Part::Rows, Part::Rollups]
}
