//! `SelectSeries` answered profile by profile: with exemplars (the profile
//! or span with the largest value per point) and with a call site (each
//! profile counting only its samples under it). Points and aggregation are
//! those of [`crate::select_series`].

use std::collections::BTreeMap;

use kiln_store::{normalize_labels, Labels, RowRef, SpanRef, Store};

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::exemplars::{offer_row, offer_span, Candidate, Exemplar, ExemplarKind};
use crate::merge::profile_type_filter;
use crate::series::{step_ms, Aggregation, SeriesRequest};
use crate::time::{nanos_to_ms, TimeRangeMs};

/// A point with its exemplars (at most one: Pyroscope's default).
#[derive(Debug, Clone, PartialEq)]
pub struct ExemplarPoint {
    pub timestamp: i64,
    pub value: f64,
    pub exemplars: Vec<Exemplar>,
}

/// A series of [`ExemplarPoint`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct ExemplarSeries {
    pub labels: Labels,
    pub points: Vec<ExemplarPoint>,
}

/// What a point gathers: the sum and count of its profiles' values and
/// its best exemplar candidate.
#[derive(Default)]
struct Acc {
    sum: i64,
    count: u64,
    best: Option<Candidate>,
}

type Groups = BTreeMap<Labels, BTreeMap<i64, Acc>>;

/// `SelectSeries` with `exemplars` attached to each point and, when
/// `call_site` is given, values of only the samples whose stack starts
/// with it (root first). Span exemplars need whole profiles' values, so
/// they are refused with a call site.
pub async fn select_series_exemplars(
    store: &Store,
    tenant: &str,
    req: &SeriesRequest,
    exemplars: ExemplarKind,
    call_site: Option<&[String]>,
) -> Result<Vec<ExemplarSeries>> {
    if exemplars == ExemplarKind::Span && call_site.is_some() {
        return Err(QueryError::invalid("exemplar_type SPAN cannot be combined with stack_trace_selector"));
    }
    let grid = Grid { range: req.range, step: step_ms(req.step_seconds)? };
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let (range, by) = (req.range.to_store(), &req.group_by);
    let individual = exemplars == ExemplarKind::Individual;
    let add = move |groups: &mut Groups, r: RowRef<'_>| {
        let Some(point) = grid.point(r.time_nanos) else { return };
        let acc = entry(groups, r.group).entry(point).or_default();
        acc.sum = acc.sum.saturating_add(r.total);
        acc.count += 1;
        if individual {
            offer_row(&mut acc.best, &r);
        }
    };
    let mut groups = match call_site {
        Some(site) => store.fold_rows_under(tenant, &filter, range, by, site, Groups::new(), add).await?,
        None => store.fold_rows(tenant, &filter, range, by, Groups::new(), add).await?,
    };
    if exemplars == ExemplarKind::Span {
        let offer = move |groups: &mut Groups, s: SpanRef<'_>| {
            let Some(point) = grid.point(s.time_nanos) else { return };
            if let Some(acc) = groups.get_mut(s.group).and_then(|g| g.get_mut(&point)) {
                offer_span(&mut acc.best, &s);
            }
        };
        groups = store.fold_spans(tenant, &filter, range, by, groups, offer).await?;
    }
    let req = req.clone();
    blocking(move || {
        let series = groups.into_iter().map(|(labels, points)| series(labels, points, &req)).collect();
        match req.limit {
            Some(n) => top(series, n),
            None => series,
        }
    })
    .await
}

fn entry<'g>(groups: &'g mut Groups, key: &Labels) -> &'g mut BTreeMap<i64, Acc> {
    if !groups.contains_key(key) {
        groups.insert(key.clone(), BTreeMap::new());
    }
    groups.get_mut(key).expect("inserted above")
}

fn series(labels: Labels, points: BTreeMap<i64, Acc>, req: &SeriesRequest) -> ExemplarSeries {
    let points = points
        .into_iter()
        .map(|(timestamp, acc)| ExemplarPoint {
            timestamp,
            value: match req.aggregation {
                Aggregation::Sum => acc.sum as f64,
                Aggregation::Average => acc.sum as f64 / acc.count as f64,
            },
            exemplars: acc.best.iter().map(|c| c.exemplar(&req.group_by)).collect(),
        })
        .collect();
    ExemplarSeries { labels: normalize_labels(labels), points }
}

/// Pyroscope's `TopSeries`, as [`crate::select_series`] applies it.
fn top(mut series: Vec<ExemplarSeries>, n: usize) -> Vec<ExemplarSeries> {
    let total = |s: &ExemplarSeries| s.points.iter().map(|p| p.value).sum::<f64>();
    series.sort_by(|a, b| total(b).total_cmp(&total(a)).then_with(|| a.labels.cmp(&b.labels)));
    if n > 0 {
        series.truncate(n);
    }
    series
}

/// The points of `SelectSeries`: `start + k*step` ms; a profile at `T` ms
/// (rounded down) counts toward the first point at or after it, a profile
/// in the start's millisecond toward the start; points after the end are
/// left out.
#[derive(Debug, Clone, Copy)]
struct Grid {
    range: TimeRangeMs,
    step: i64,
}

impl Grid {
    fn point(&self, time_nanos: i64) -> Option<i64> {
        let (start, step) = (i128::from(self.range.start), i128::from(self.step));
        let offset = (i128::from(nanos_to_ms(time_nanos)) - start).max(0);
        let point = start + (offset + step - 1) / step * step;
        (point <= i128::from(self.range.end)).then_some(point as i64)
    }
}
