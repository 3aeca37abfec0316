//! Visiting the stored profiles of a query one by one, from the row index
//! alone (time, id, total): what exemplars and individual heatmaps read.
//! The visits run on the blocking pool (see `read_scan.rs`).

use std::sync::Arc;

use crate::error::Result;
use crate::labels::{Labels, SeriesFilter};
use crate::partition::Partition;
use crate::read::{Selected, TimeRange};
use crate::read_partition::Part;
use crate::read_scan::OnGone;
use crate::store::Store;

/// One stored profile of a selected series.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    /// The series' `group_by` labels.
    pub group: &'a Labels,
    /// All of the series' labels.
    pub labels: &'a Arc<Labels>,
    pub time_nanos: i64,
    pub id: u128,
    /// The profile's total, or its part under a call site.
    pub total: i64,
}

impl Store {
    /// Folds every profile of the matching series in the range into
    /// `state` with `f`, reading only row indexes (no samples, no symbols),
    /// on the blocking pool.
    pub async fn fold_rows<S: Send + 'static>(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        state: S,
        mut f: impl FnMut(&mut S, RowRef<'_>) + Send + 'static,
    ) -> Result<S> {
        let selected = self.select_with_rows(tenant, filter, range, group_by);
        let visit = move |state: &mut S, sel: &Selected, p: &Partition| {
            for row in p.rows.iter().filter(|r| range.contains(r.time_nanos)) {
                if let Some(r) = row_ref(sel, row.series, row.time_nanos, row.id, row.total) {
                    f(state, r);
                }
            }
        };
        self.scan(selected, Part::Index, OnGone::Skip, state, visit, |state| state).await
    }
}

/// The row as a [`RowRef`] when its series is selected.
pub(crate) fn row_ref(sel: &Selected, series: u32, time_nanos: i64, id: u128, total: i64) -> Option<RowRef<'_>> {
    let group = sel.series.get(&series)?;
    let labels = &sel.object.series[sel.partition].get(series as usize)?.labels;
    Some(RowRef { group, labels, time_nanos, id, total })
}
