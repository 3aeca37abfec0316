//! `SelectHeatmap`: how the values of individual profiles (or of spans)
//! spread over time, bucketed as Pyroscope 2.x does: time slots of `step`
//! whose timestamp is their right edge, the same 20 value buckets for
//! every series (evenly between the smallest and largest value), and per
//! cell the count and the largest entry as its exemplar.

use std::collections::BTreeMap;

use kiln_store::{normalize_labels, Labels, RowRef, SpanRef, Store};

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::exemplars::{Candidate, Exemplar, ExemplarKind};
use crate::merge::profile_type_filter;
use crate::series::step_ms;
use crate::time::{nanos_to_ms, TimeRangeMs};

/// Value buckets of a heatmap (`DefaultYAxisBuckets`).
pub const Y_BUCKETS: usize = 20;

/// What a heatmap counts (`querier.v1.HeatmapQueryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapQueryType {
    /// Each profile, by its total.
    Individual,
    /// Each span of each profile, by the sum of its samples.
    Span,
}

/// A `SelectHeatmap` request, as on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRequest {
    pub profile_type_id: String,
    pub label_selector: String,
    pub range: TimeRangeMs,
    pub step_seconds: f64,
    pub group_by: Vec<String>,
    pub query_type: HeatmapQueryType,
    /// `None`, or the kind matching `query_type`.
    pub exemplars: ExemplarKind,
    /// Keep the top N series by their counts (0: all).
    pub limit: Option<usize>,
}

/// One time slot: the lower bound of each value bucket, the entries per
/// bucket and, with exemplars, the largest entry of each non-empty bucket
/// (in bucket order).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapSlot {
    /// Unix ms of the slot's right edge: it covers `(timestamp - step, timestamp]`.
    pub timestamp: i64,
    pub y_min: Vec<f64>,
    pub counts: Vec<i32>,
    pub exemplars: Vec<Exemplar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapSeries {
    pub labels: Labels,
    pub slots: Vec<HeatmapSlot>,
}

/// The heatmap of the request. Data is read from one step before the start
/// (that slot folds into the start's), as Pyroscope's query frontend does.
pub async fn select_heatmap(store: &Store, tenant: &str, req: &HeatmapRequest) -> Result<Vec<HeatmapSeries>> {
    let step = step_ms(req.step_seconds)?;
    check_exemplars(req)?;
    if req.range.start >= req.range.end {
        let (s, e) = (req.range.start, req.range.end);
        return Err(QueryError::invalid(format!("start must be before end, got start={s} end={e}")));
    }
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let read = TimeRangeMs { start: req.range.start.saturating_sub(step), end: req.range.end }.to_store();
    let (by, entries) = (&req.group_by, Entries::new());
    let entries = match req.query_type {
        HeatmapQueryType::Individual => {
            let add = |entries: &mut Entries, r: RowRef<'_>| push(entries, r.group, Candidate::of_row(&r));
            store.fold_rows(tenant, &filter, read, by, entries, add).await?
        }
        HeatmapQueryType::Span => {
            let add = |entries: &mut Entries, s: SpanRef<'_>| push(entries, s.group, Candidate::of_span(&s));
            store.fold_spans(tenant, &filter, read, by, entries, add).await?
        }
    };
    let (slots, req) = (SlotGrid { start: req.range.start, end: req.range.end, step }, req.clone());
    blocking(move || heatmap(entries, slots, &req)).await
}

/// The entries of each series, by its `group_by` labels.
type Entries = BTreeMap<Labels, Vec<Candidate>>;

/// The heatmap of the entries: value buckets shared by every series.
fn heatmap(entries: Entries, slots: SlotGrid, req: &HeatmapRequest) -> Vec<HeatmapSeries> {
    let Some(buckets) = y_buckets(entries.values().flatten().map(|c| c.value)) else { return Vec::new() };
    let series = entries
        .into_iter()
        .map(|(labels, es)| HeatmapSeries {
            labels: normalize_labels(labels),
            slots: series_slots(&es, &buckets, slots, req),
        })
        .collect();
    top(series, req.limit.unwrap_or(0))
}

fn push(entries: &mut Entries, group: &Labels, c: Candidate) {
    match entries.get_mut(group) {
        Some(v) => v.push(c),
        None => {
            entries.insert(group.clone(), vec![c]);
        }
    }
}

/// Exemplars must be of the query's kind, as Pyroscope requires.
fn check_exemplars(req: &HeatmapRequest) -> Result<()> {
    match (req.exemplars, req.query_type) {
        (ExemplarKind::None, _)
        | (ExemplarKind::Individual, HeatmapQueryType::Individual)
        | (ExemplarKind::Span, HeatmapQueryType::Span) => Ok(()),
        (ExemplarKind::Individual, _) => {
            Err(QueryError::invalid("exemplar_type INDIVIDUAL needs query_type HEATMAP_QUERY_TYPE_INDIVIDUAL"))
        }
        (ExemplarKind::Span, _) => {
            Err(QueryError::invalid("exemplar_type SPAN needs query_type HEATMAP_QUERY_TYPE_SPAN"))
        }
    }
}

/// `Y_BUCKETS` buckets `[min, max)` evenly between the smallest value and
/// the largest (at least 0, and above the smallest), the last one closed;
/// `None` without values.
fn y_buckets(values: impl Iterator<Item = i64>) -> Option<Vec<(i64, i64)>> {
    let (min, max) = values.fold((i64::MAX, 0i64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if min == i64::MAX {
        return None;
    }
    let max = if min == max { min.saturating_add(1) } else { max };
    let size = (max as f64 - min as f64) / Y_BUCKETS as f64;
    let mut buckets: Vec<(i64, i64)> =
        (0..Y_BUCKETS).map(|i| (min + (i as f64 * size) as i64, min + ((i + 1) as f64 * size) as i64)).collect();
    buckets[Y_BUCKETS - 1].1 = max;
    Some(buckets)
}

/// The bucket of `value`: the first with `min <= value < max`, else the
/// last when `value` reaches its minimum.
fn bucket_of(value: i64, buckets: &[(i64, i64)]) -> Option<usize> {
    if let Some(i) = buckets.iter().position(|&(lo, hi)| lo <= value && value < hi) {
        return Some(i);
    }
    buckets.last().filter(|&&(lo, _)| value >= lo).map(|_| buckets.len() - 1)
}

/// Time slots `(t - step, t]` on the grid of `start`: times up to the start
/// fall in the start's slot, later ones in the first slot edge at or after
/// them, never past the end's.
#[derive(Debug, Clone, Copy)]
struct SlotGrid {
    start: i64,
    end: i64,
    step: i64,
}

impl SlotGrid {
    fn round_up(&self, t: i64) -> i64 {
        let (start, step) = (i128::from(self.start), i128::from(self.step));
        let k = (i128::from(t) - start).div_euclid(step) + i128::from((i128::from(t) - start).rem_euclid(step) != 0);
        (start + k * step) as i64
    }

    fn slot(&self, time_nanos: i64) -> i64 {
        self.round_up(nanos_to_ms(time_nanos)).clamp(self.start, self.round_up(self.end))
    }
}

/// Counts and exemplars of one series per (slot, value bucket).
fn series_slots(es: &[Candidate], buckets: &[(i64, i64)], grid: SlotGrid, req: &HeatmapRequest) -> Vec<HeatmapSlot> {
    let mut cells: BTreeMap<(i64, usize), (i32, &Candidate)> = BTreeMap::new();
    for c in es {
        let Some(y) = bucket_of(c.value, buckets) else { continue };
        let cell = cells.entry((grid.slot(c.time_nanos), y)).or_insert((0, c));
        cell.0 += 1;
        if c.value > cell.1.value {
            cell.1 = c;
        }
    }
    let mut slots: Vec<HeatmapSlot> = Vec::new();
    for ((timestamp, y), (count, best)) in cells {
        if slots.last().is_none_or(|s| s.timestamp != timestamp) {
            let y_min = buckets.iter().map(|&(lo, _)| lo as f64).collect();
            slots.push(HeatmapSlot { timestamp, y_min, counts: vec![0; buckets.len()], exemplars: Vec::new() });
        }
        let slot = slots.last_mut().expect("pushed above");
        slot.counts[y] = count;
        if req.exemplars != ExemplarKind::None {
            slot.exemplars.push(best.exemplar(&req.group_by));
        }
    }
    slots
}

/// Pyroscope's heatmap `TopSeries`: by the sum of counts, descending, ties
/// by labels; all when `n` is 0.
fn top(mut series: Vec<HeatmapSeries>, n: usize) -> Vec<HeatmapSeries> {
    if n == 0 || series.len() <= n {
        return series;
    }
    let sum = |s: &HeatmapSeries| s.slots.iter().flat_map(|x| &x.counts).map(|&c| i64::from(c)).sum::<i64>();
    series.sort_by(|a, b| sum(b).cmp(&sum(a)).then_with(|| a.labels.cmp(&b.labels)));
    series.truncate(n);
    series
}
