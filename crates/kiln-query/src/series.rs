//! `SelectSeries`: per-step totals of a profile type's matching series,
//! grouped by labels (reference §2.a "SelectSeries semantics").

use std::collections::BTreeMap;

use kiln_store::{normalize_labels, Labels, Store, TimeRange};

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::merge::profile_type_filter;
use crate::time::{ms_to_nanos, nanos_to_ms, TimeRangeMs, MAX_MS};

/// How the profiles falling in one step combine into its point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Aggregation {
    #[default]
    Sum,
    Average,
}

/// A `SelectSeries` request, as on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRequest {
    pub profile_type_id: String,
    pub label_selector: String,
    pub range: TimeRangeMs,
    /// Seconds between points.
    pub step_seconds: f64,
    pub group_by: Vec<String>,
    pub aggregation: Aggregation,
    /// Keep the top N series by the sum of their points (0: all, sorted).
    pub limit: Option<usize>,
}

/// One series: its `group_by` labels and its non-empty points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    /// `(timestamp ms, value)`, ascending.
    pub points: Vec<(i64, f64)>,
}

/// Points at `start + k*step`; a profile at `t` (ms, rounded down) counts
/// toward the first point at or after it, i.e. `(point - step, point]`.
/// Empty steps are omitted. One series per distinct combination of the
/// `group_by` labels a series has; its labels are only those.
pub async fn select_series(store: &Store, tenant: &str, req: &SeriesRequest) -> Result<Vec<Series>> {
    let step_ms = step_ms(req.step_seconds)?;
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let (step_nanos, range) = (ms_to_nanos(step_ms), req.range.to_store());
    let by = &req.group_by;
    // The store puts a profile at `t` ns on the first point at or after
    // `t`; Pyroscope first rounds `t` down to ms. Starting the store's grid
    // 999_999 ns late agrees with Pyroscope: with `t = T*1e6 + r`,
    // `D = T - start_ms >= 0` and a step of `S` ms, the store's point index
    // is `ceil((D*1e6 + r - 999_999) / (S*1e6))` with the numerator in
    // `(D*1e6 - 1e6, D*1e6]`, so it is `ceil(D / S)`. The late grid leaves
    // out profiles in the start's own millisecond: they all belong to the
    // start point and are read separately.
    let late_grid = TimeRange { start: range.start + (MS_NANOS - 1), end: range.end };
    let late = match late_grid.start <= late_grid.end {
        true => store.series_totals(tenant, &filter, late_grid, step_nanos, by).await?,
        false => Groups::new(),
    };
    let first_ms = TimeRange { start: range.start, end: range.end.min(range.start + MS_NANOS - 2) };
    let first = store.series_totals(tenant, &filter, first_ms, step_nanos, by).await?;
    let req = req.clone();
    blocking(move || {
        let mut groups: Groups = BTreeMap::new();
        add_points(&mut groups, late, nanos_to_ms);
        add_points(&mut groups, first, |_| req.range.start);
        let series = groups
            .into_iter()
            .map(|(labels, steps)| Series { labels, points: points(steps, req.range.end, req.aggregation) })
            .filter(|s| !s.points.is_empty())
            .collect();
        match req.limit {
            Some(n) => top_series(series, n),
            None => series,
        }
    })
    .await
}

/// Per group, per point (ms), the sum and count of profile totals.
type Groups = BTreeMap<Labels, BTreeMap<i64, (i64, u64)>>;

const MS_NANOS: i64 = 1_000_000;

/// Adds the store's totals, its points (ns) mapped to ms by `point_ms`;
/// group keys are sorted by label name.
fn add_points(groups: &mut Groups, totals: Groups, point_ms: impl Fn(i64) -> i64) {
    for (key, steps) in totals {
        let out = groups.entry(normalize_labels(key)).or_default();
        for (point_nanos, (sum, count)) in steps {
            let p = out.entry(point_ms(point_nanos)).or_default();
            p.0 = p.0.saturating_add(sum);
            p.1 += count;
        }
    }
}

/// `step * 1000` truncated, as Pyroscope; it must be at least 1 ms.
pub(crate) fn step_ms(step_seconds: f64) -> Result<i64> {
    let ms = step_seconds * 1000.0;
    if !ms.is_finite() || ms < 1.0 {
        return Err(QueryError::invalid(format!("step must be at least 0.001 seconds, got {step_seconds}")));
    }
    Ok(ms.min(MAX_MS as f64) as i64)
}

/// The points up to `end_ms` that have profiles, aggregated.
fn points(steps: BTreeMap<i64, (i64, u64)>, end_ms: i64, aggregation: Aggregation) -> Vec<(i64, f64)> {
    steps
        .into_iter()
        .filter(|(t, (_, count))| *count > 0 && *t <= end_ms)
        .map(|(t, (sum, count))| match aggregation {
            Aggregation::Sum => (t, sum as f64),
            Aggregation::Average => (t, sum as f64 / count as f64),
        })
        .collect()
}

/// Pyroscope's `TopSeries`: by the sum of point values, descending, ties
/// by labels ascending; the first `n` (all when `n` is 0).
fn top_series(mut series: Vec<Series>, n: usize) -> Vec<Series> {
    let total = |s: &Series| s.points.iter().map(|p| p.1).sum::<f64>();
    series.sort_by(|a, b| total(b).total_cmp(&total(a)).then_with(|| a.labels.cmp(&b.labels)));
    if n > 0 {
        series.truncate(n);
    }
    series
}
