//! Visiting the spans of a query's profiles: per profile and `span_id`,
//! the summed value of its samples and their `trace_id` (span heatmaps and
//! span exemplars).

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;
use crate::labels::{Labels, SeriesFilter};
use crate::partition::{Partition, Row};
use crate::read::{Selected, TimeRange};
use crate::read_partition::Part;
use crate::read_scan::OnGone;
use crate::read_spans::{SPAN_ID, TRACE_ID};
use crate::store::Store;

/// The samples of one span within one stored profile.
#[derive(Debug, Clone, Copy)]
pub struct SpanRef<'a> {
    /// The series' `group_by` labels.
    pub group: &'a Labels,
    /// All of the series' labels.
    pub labels: &'a Arc<Labels>,
    pub time_nanos: i64,
    pub span_id: &'a str,
    /// Empty when the samples carry no `trace_id`.
    pub trace_id: &'a str,
    pub value: i64,
}

impl Store {
    /// Folds, on the blocking pool, every (profile, span id) of the
    /// matching series in the range into `state` with `f`, in each
    /// profile's order of first appearance; samples without a `span_id`
    /// are left out.
    pub async fn fold_spans<S: Send + 'static>(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        state: S,
        mut f: impl FnMut(&mut S, SpanRef<'_>) + Send + 'static,
    ) -> Result<S> {
        let selected = self.select_with_rows(tenant, filter, range, group_by);
        let visit = move |state: &mut S, sel: &Selected, p: &Partition| {
            let strings = &p.db.symbols.tables.strings;
            let position = |name: &str| strings.iter().position(|s| s == name).map(|i| i as u32);
            let Some(span_key) = position(SPAN_ID) else { return };
            let trace_key = position(TRACE_ID);
            let entries = &sel.object.series[sel.partition];
            for row in p.rows.iter().filter(|r| range.contains(r.time_nanos)) {
                let (Some(group), Some(entry)) = (sel.series.get(&row.series), entries.get(row.series as usize)) else {
                    continue;
                };
                for (span, trace, value) in row_spans(row, span_key, trace_key) {
                    let (span_id, trace_id) = (&strings[span as usize], trace.map_or("", |t| &strings[t as usize]));
                    let labels = &entry.labels;
                    f(state, SpanRef { group, labels, time_nanos: row.time_nanos, span_id, trace_id, value });
                }
            }
        };
        self.scan(selected, Part::Rows, OnGone::Skip, state, visit, |state| state).await
    }
}

/// Per span id (a string id) of a row: the first `trace_id` seen with it
/// and the sum of its samples' values, in order of first appearance.
fn row_spans(row: &Row, span_key: u32, trace_key: Option<u32>) -> Vec<(u32, Option<u32>, i64)> {
    let mut per_sample: HashMap<u32, (Option<u32>, Option<u32>)> = HashMap::new();
    for l in &row.labels {
        let e = per_sample.entry(l.sample).or_default();
        if l.key == span_key {
            e.0.get_or_insert(l.value);
        } else if Some(l.key) == trace_key {
            e.1.get_or_insert(l.value);
        }
    }
    let mut samples: Vec<_> = per_sample.into_iter().filter_map(|(i, (s, t))| Some((i, s?, t))).collect();
    samples.sort_unstable_by_key(|&(i, _, _)| i);
    let mut out: Vec<(u32, Option<u32>, i64)> = Vec::new();
    for (i, span, trace) in samples {
        let value = row.samples.values.get(i as usize).copied().unwrap_or(0);
        match out.iter_mut().find(|o| o.0 == span) {
            Some(o) => o.2 = o.2.saturating_add(value),
            None => out.push((span, trace, value)),
        }
    }
    out
}
