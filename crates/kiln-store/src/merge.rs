//! Merging partitions from several blocks into one (compaction), and the
//! rollups written with closed windows.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kiln_model::stacks::{StackMerger, StackSamples, SymbolDb};

use crate::labels::Labels;
use crate::partition::{Partition, Rollup, Row, SampleLabel, SeriesInfo};

/// Merges partitions (one output partition per service) one at a time, so a compaction holds its output and
/// one decoded source, never every source at once.
#[derive(Default)]
pub struct PartitionMerger {
    by_service: BTreeMap<String, Output>,
}

/// One service's merged partition as it grows.
#[derive(Default)]
struct Output {
    partition: Partition,
    series_index: HashMap<Labels, u32>,
    /// Id maps of the source tables absorbed so far, by table address
    /// (the `Arc` kept beside them keeps the address unique): sources
    /// sharing a decoded table are renumbered through one map.
    absorbed: HashMap<usize, (Arc<SymbolDb>, Arc<IdMaps>)>,
}

/// Where a source table's stacks and strings landed in the output's.
struct IdMaps {
    stacks: Vec<u32>,
    strings: Vec<u32>,
}

impl PartitionMerger {
    /// Moves one partition's rows into the output partition of its service.
    pub fn add(&mut self, src: Partition) {
        let out = self.by_service.entry(src.service.clone()).or_default();
        out.partition.service.clone_from(&src.service);
        if out.shares_dictionary(&src) {
            out.take_shared(src);
        } else {
            out.absorb(src);
        }
    }

    /// The merged partitions, one per service, finished.
    pub fn finish(self) -> Vec<Partition> {
        self.by_service
            .into_values()
            .map(|mut out| {
                out.partition.finish();
                out.partition
            })
            .collect()
    }
}

impl Output {
    /// Whether `src` joins without renumbering: it uses a head
    /// dictionary's own ids and has no sample labels (whose values are its
    /// own strings), and the output is empty or uses the same dictionary.
    fn shares_dictionary(&self, src: &Partition) -> bool {
        let Some(d) = src.dictionary else { return false };
        let unlabelled = src.rows.iter().all(|r| r.labels.is_empty());
        let fresh = self.partition.rows.is_empty() && self.absorbed.is_empty() && self.partition.dictionary.is_none();
        unlabelled && (fresh || self.partition.dictionary.is_some_and(|o| o.id == d.id))
    }

    /// Adds rows that keep their stack ids; the output's table becomes the
    /// larger of the two (a dictionary's tables only grow).
    fn take_shared(&mut self, src: Partition) {
        let d = src.dictionary.expect("a shared source has a dictionary");
        if self.partition.dictionary.is_none_or(|o| o.stacks < d.stacks) {
            self.partition.db = src.db.clone();
            self.partition.dictionary = Some(d);
        }
        let series: Vec<u32> = src.series.iter().map(|s| self.series_id(&s.labels)).collect();
        for row in src.rows {
            self.partition.rows.push(Row { series: series[row.series as usize], ..row });
        }
    }

    /// Adds rows renumbered into the output's own table.
    fn absorb(&mut self, src: Partition) {
        // The output's ids are no longer one dictionary's from here on.
        self.partition.dictionary = None;
        let series: Vec<u32> = src.series.iter().map(|s| self.series_id(&s.labels)).collect();
        let maps = self.id_maps(&src.db);
        for row in src.rows {
            self.partition.rows.push(Row {
                series: series[row.series as usize],
                samples: remap(&row.samples, &maps.stacks),
                labels: row
                    .labels
                    .iter()
                    .map(|l| SampleLabel {
                        sample: l.sample,
                        key: maps.strings[l.key as usize],
                        value: maps.strings[l.value as usize],
                    })
                    .collect(),
                ..row
            });
        }
    }

    fn id_maps(&mut self, table: &Arc<SymbolDb>) -> Arc<IdMaps> {
        let key = Arc::as_ptr(table) as usize;
        if let Some((_, maps)) = self.absorbed.get(&key) {
            return maps.clone();
        }
        let db = Arc::make_mut(&mut self.partition.db);
        let stacks = db.absorb(table);
        let strings = table.symbols.tables.strings.iter().map(|s| db.symbols.intern(s)).collect();
        let maps = Arc::new(IdMaps { stacks, strings });
        self.absorbed.insert(key, (table.clone(), maps.clone()));
        maps
    }

    fn series_id(&mut self, labels: &Labels) -> u32 {
        series_id(&mut self.partition, &mut self.series_index, labels)
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

#[cfg(test)]
mod tests {
    use kiln_model::stacks::SymbolDb;
    use kiln_model::ProfileBuilder;

    use super::*;
    use crate::partition::Dictionary;

    /// A head dictionary after `stacks` were interned, and a partition of
    /// one row holding the last of them.
    fn segment(db: &mut SymbolDb, id: u64, stacks: &[&str], row_time: i64) -> Partition {
        let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 1);
        for s in stacks {
            b.add_stack(&s.split(';').collect::<Vec<_>>(), &[10]);
        }
        let samples = db.add_profile(&b.build(), 0);
        let labels: Labels = vec![("service_name".into(), "api".into())];
        Partition {
            service: "api".into(),
            db: Arc::new(db.clone()),
            series: vec![SeriesInfo { labels, min_time_nanos: 0, max_time_nanos: 0, profiles: 0, total: 0 }],
            rows: vec![Row {
                series: 0,
                time_nanos: row_time,
                duration_nanos: 0,
                id: row_time as u128,
                total: samples.total(),
                samples,
                labels: Vec::new(),
            }],
            rollups: Vec::new(),
            dictionary: Some(Dictionary { id, stacks: db.stacks.len() as u64 }),
        }
    }

    fn folded(p: &Partition) -> BTreeMap<String, i64> {
        let mut m = StackMerger::default();
        p.rows.iter().for_each(|r| m.add(&r.samples));
        p.db.tree(m.values()).folded_map()
    }

    #[test]
    fn segments_of_one_dictionary_merge_without_renumbering_into_its_largest_table() {
        let mut dict = SymbolDb::default();
        let first = segment(&mut dict, 7, &["main;a"], 1);
        let second = segment(&mut dict, 7, &["main;a", "main;b;c"], 2);
        let ids: Vec<Vec<u32>> = [&first, &second].iter().map(|p| p.rows[0].samples.stack_ids.clone()).collect();
        let mut merger = PartitionMerger::default();
        merger.add(second.clone());
        merger.add(first);
        let merged = merger.finish().remove(0);
        assert_eq!(merged.dictionary, second.dictionary, "the larger version names every row");
        assert!(Arc::ptr_eq(&merged.db, &second.db), "the table is shared, not copied");
        let mut merged_ids: Vec<Vec<u32>> = merged.rows.iter().map(|r| r.samples.stack_ids.clone()).collect();
        merged_ids.sort();
        let mut want = ids;
        want.sort();
        assert_eq!(merged_ids, want, "stack ids are kept as written");
        assert_eq!(folded(&merged), BTreeMap::from([("main;a".into(), 20), ("main;b;c".into(), 10)]));
    }

    #[test]
    fn another_dictionary_or_sample_labels_renumber_into_one_table() {
        let (mut one, mut other) = (SymbolDb::default(), SymbolDb::default());
        let a = segment(&mut one, 1, &["main;a"], 1);
        let b = segment(&mut other, 2, &["main;x;y", "main;a"], 2);
        let mut labelled = segment(&mut one, 1, &["main;a"], 3);
        labelled.rows[0].labels.push(SampleLabel { sample: 0, key: 1, value: 1 });
        let mut merger = PartitionMerger::default();
        merger.add(a);
        merger.add(b);
        merger.add(labelled);
        let merged = merger.finish().remove(0);
        assert_eq!(merged.dictionary, None, "ids are the merged table's own");
        assert_eq!(folded(&merged), BTreeMap::from([("main;a".into(), 30), ("main;x;y".into(), 10)]));
    }
}
