//! Merging partitions from several blocks into one (compaction), and the
//! rollups written with closed windows.

use std::collections::{BTreeMap, HashMap};

use kiln_model::stacks::{StackMerger, StackSamples};

use crate::labels::Labels;
use crate::partition::{Partition, Rollup, Row, SampleLabel, SeriesInfo};

/// Merges partitions (one output partition per service) one at a time, so a compaction holds its output and
/// one decoded source, never every source at once.
#[derive(Default)]
pub struct PartitionMerger {
    by_service: BTreeMap<String, (Partition, HashMap<Labels, u32>)>,
}

impl PartitionMerger {
    /// Moves one partition's rows into the output partition of its service.
    pub fn add(&mut self, src: Partition) {
        let (dst, series_index) = self
            .by_service
            .entry(src.service.clone())
            .or_insert_with(|| (Partition { service: src.service.clone(), ..Partition::default() }, HashMap::new()));
        absorb(dst, series_index, src);
    }

    /// The merged partitions, one per service, finished.
    pub fn finish(self) -> Vec<Partition> {
        self.by_service
            .into_values()
            .map(|(mut p, _)| {
                p.finish();
                p
            })
            .collect()
    }
}

fn absorb(dst: &mut Partition, series_index: &mut HashMap<Labels, u32>, src: Partition) {
    let stack_ids = dst.db.absorb(&src.db);
    let series: Vec<u32> = src.series.iter().map(|s| series_id(dst, series_index, &s.labels)).collect();
    let strings: Vec<u32> = src.db.symbols.tables.strings.iter().map(|s| dst.db.symbols.intern(s)).collect();
    for row in src.rows {
        dst.rows.push(Row {
            series: series[row.series as usize],
            samples: remap(&row.samples, &stack_ids),
            labels: row
                .labels
                .iter()
                .map(|l| SampleLabel {
                    sample: l.sample,
                    key: strings[l.key as usize],
                    value: strings[l.value as usize],
                })
                .collect(),
            ..row
        });
    }
}

fn series_id(dst: &mut Partition, index: &mut HashMap<Labels, u32>, labels: &Labels) -> u32 {
    *index.entry(labels.clone()).or_insert_with(|| {
        dst.series.push(SeriesInfo {
            labels: labels.clone(),
            min_time_nanos: 0,
            max_time_nanos: 0,
            profiles: 0,
            total: 0,
        });
        dst.series.len() as u32 - 1
    })
}

fn remap(s: &StackSamples, ids: &[u32]) -> StackSamples {
    StackSamples { stack_ids: s.stack_ids.iter().map(|&i| ids[i as usize]).collect(), values: s.values.clone() }
}

/// Computes one rollup per (series, bucket of `bucket_nanos`) from the rows.
pub fn compute_rollups(p: &mut Partition, bucket_nanos: i64) {
    let mut groups: BTreeMap<(u32, i64), (StackMerger, u64)> = BTreeMap::new();
    for r in &p.rows {
        let g = groups.entry((r.series, bucket_start(r.time_nanos, bucket_nanos))).or_default();
        g.0.add(&r.samples);
        g.1 += 1;
    }
    p.rollups = groups
        .into_iter()
        .map(|((series, start_nanos), (m, profiles))| Rollup {
            series,
            start_nanos,
            profiles,
            samples: dense_to_samples(m.values()),
        })
        .collect();
}

/// The start of the bucket holding `t`.
pub fn bucket_start(t: i64, bucket_nanos: i64) -> i64 {
    t.div_euclid(bucket_nanos) * bucket_nanos
}

fn dense_to_samples(values: &[i64]) -> StackSamples {
    let mut s = StackSamples::default();
    for (id, &v) in values.iter().enumerate() {
        if v != 0 {
            s.stack_ids.push(id as u32);
            s.values.push(v);
        }
    }
    s
}
