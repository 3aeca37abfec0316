//! One service's data within a block, decoded: symbols, series, rows and
//! rollups. The same shape is built by ingestion, by compaction and by
//! reading an object back.

use std::sync::Arc;

use kiln_model::stacks::{StackSamples, SymbolDb};

use crate::labels::Labels;

/// A string label of one sample (`span_id`, `trace_id`, ...), as string
/// ids of the partition's symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleLabel {
    pub sample: u32,
    pub key: u32,
    pub value: u32,
}

/// One profile of one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Index into the partition's series.
    pub series: u32,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub id: u128,
    /// Sum of the row's values; known even when its samples are not loaded.
    pub total: i64,
    pub samples: StackSamples,
    pub labels: Vec<SampleLabel>,
}

/// What a row costs to know without its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowEntry {
    pub series: u32,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub id: u128,
    pub total: i64,
}

/// The sum of a block's rows of one series whose time falls in a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub series: u32,
    pub start_nanos: i64,
    pub profiles: u64,
    pub samples: StackSamples,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesInfo {
    pub labels: Labels,
    pub min_time_nanos: i64,
    pub max_time_nanos: i64,
    pub profiles: u64,
    pub total: i64,
}

/// The head dictionary whose own stack ids a partition's samples use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dictionary {
    /// Random per dictionary, never 0.
    pub id: u64,
    /// The dictionary's stack count when the partition was written.
    pub stacks: u64,
}

/// A partition in memory.
#[derive(Debug, Clone, Default)]
pub struct Partition {
    pub service: String,
    /// Shared by partitions read from byte-identical symbols sections (a
    /// steady service's consecutive segments carry the same dictionary).
    pub db: Arc<SymbolDb>,
    pub series: Vec<SeriesInfo>,
    /// Sorted by (series, time).
    pub rows: Vec<Row>,
    pub rollups: Vec<Rollup>,
    /// Set when the stack ids are a head dictionary's own (`db` is then
    /// that dictionary, as it was when written).
    pub dictionary: Option<Dictionary>,
}

impl Row {
    pub fn entry(&self) -> RowEntry {
        RowEntry {
            series: self.series,
            time_nanos: self.time_nanos,
            duration_nanos: self.duration_nanos,
            id: self.id,
            total: self.total,
        }
    }
}

impl Partition {
    /// Sorts rows by (series, time) and recomputes each series' summary.
    pub fn finish(&mut self) {
        self.rows.sort_by_key(|r| (r.series, r.time_nanos, r.id));
        for s in &mut self.series {
            *s = SeriesInfo { min_time_nanos: i64::MAX, max_time_nanos: i64::MIN, profiles: 0, total: 0, ..s.clone() };
        }
        for r in &self.rows {
            let s = &mut self.series[r.series as usize];
            s.min_time_nanos = s.min_time_nanos.min(r.time_nanos);
            s.max_time_nanos = s.max_time_nanos.max(r.time_nanos);
            s.profiles += 1;
            s.total = s.total.saturating_add(r.total);
        }
    }

    /// Time range of the rows, if any.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.series.iter().filter(|s| s.profiles > 0).map(|s| s.min_time_nanos).min()?;
        let max = self.series.iter().filter(|s| s.profiles > 0).map(|s| s.max_time_nanos).max()?;
        Some((min, max))
    }
}
