//! Per-profile totals of only the samples under a call site (the
//! `stack_trace_selector` of `SelectSeries`): per partition, the stacks
//! under the call site are marked once, then each row sums its samples on
//! marked stacks, on the blocking pool (see `read_scan.rs`).

use std::sync::Arc;

use kiln_model::stacks::{SymbolDb, EMPTY_STACK};

use crate::error::Result;
use crate::labels::{Labels, SeriesFilter};
use crate::partition::Partition;
use crate::read::{Selected, TimeRange};
use crate::read_partition::Part;
use crate::read_rows::{row_ref, RowRef};
use crate::read_scan::OnGone;
use crate::store::Store;

impl Store {
    /// Like [`Store::fold_rows`], each row's total being the sum of its
    /// samples whose stack starts, root first, with the frames `site`;
    /// rows with nothing under the call site are left out.
    #[allow(clippy::too_many_arguments)] // a query's scope, the site, and the fold
    pub async fn fold_rows_under<S: Send + 'static>(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        site: &[String],
        state: S,
        mut f: impl FnMut(&mut S, RowRef<'_>) + Send + 'static,
    ) -> Result<S> {
        let selected = self.select_with_rows(tenant, filter, range, group_by);
        let site = site.to_vec();
        let visit = move |state: &mut S, sel: &Selected, p: &Partition| {
            let under = stacks_under(&p.db, &site);
            for row in p.rows.iter().filter(|r| range.contains(r.time_nanos) && sel.series.contains_key(&r.series)) {
                let samples = row.samples.stack_ids.iter().zip(&row.samples.values);
                let total = samples
                    .filter(|(&id, _)| under.get(id as usize).copied().unwrap_or(false))
                    .fold(0i64, |a, (_, &v)| a.saturating_add(v));
                if total == 0 {
                    continue;
                }
                if let Some(r) = row_ref(sel, row.series, row.time_nanos, row.id, total) {
                    f(state, r);
                }
            }
        };
        self.scan(selected, Part::Rows, OnGone::Skip, state, visit, |state| state).await
    }

    /// [`Store::fold_rows_under`] for a visitor that borrows: the rows are
    /// gathered on the blocking pool, then `f` sees each on the calling
    /// task.
    pub async fn for_each_row_under(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        site: &[String],
        mut f: impl FnMut(RowRef<'_>) + Send,
    ) -> Result<()> {
        let gather = |rows: &mut Vec<OwnedRow>, r: RowRef<'_>| rows.push(OwnedRow::of(r));
        for row in self.fold_rows_under(tenant, filter, range, group_by, site, Vec::new(), gather).await? {
            f(RowRef {
                group: &row.group,
                labels: &row.labels,
                time_nanos: row.time_nanos,
                id: row.id,
                total: row.total,
            });
        }
        Ok(())
    }
}

/// A [`RowRef`] that owns its labels.
struct OwnedRow {
    group: Labels,
    labels: Arc<Labels>,
    time_nanos: i64,
    id: u128,
    total: i64,
}

impl OwnedRow {
    fn of(r: RowRef<'_>) -> OwnedRow {
        OwnedRow {
            group: r.group.clone(),
            labels: r.labels.clone(),
            time_nanos: r.time_nanos,
            id: r.id,
            total: r.total,
        }
    }
}

/// How far down a call site a stack's frames have followed it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follow {
    /// The first `n` frames of the site matched, and the stack ends there.
    Matched(usize),
    /// Every frame of the site matched: the stack is under it.
    Under,
    /// A frame differs from the site's.
    Off,
}

/// Per stack id of `db`, whether the stack's frames start, root first,
/// with `site` (an empty site holds every stack). Parents come before
/// children in the stack table, so one pass decides every stack.
pub(crate) fn stacks_under(db: &SymbolDb, site: &[String]) -> Vec<bool> {
    let (parent, location) = db.stacks.parts();
    let start = if site.is_empty() { Follow::Under } else { Follow::Matched(0) };
    let mut state = vec![start; parent.len()];
    for i in 1..parent.len() {
        let mut s = state[parent[i] as usize];
        db.symbols.tables.for_each_location_frame(location[i], |frame| {
            s = match s {
                Follow::Matched(n) if site[n] == frame && n + 1 == site.len() => Follow::Under,
                Follow::Matched(n) if site[n] == frame => Follow::Matched(n + 1),
                Follow::Matched(_) => Follow::Off,
                other => other,
            };
        });
        state[i] = s;
    }
    state[EMPTY_STACK as usize] = if site.is_empty() { Follow::Under } else { Follow::Off };
    state.into_iter().map(|s| s == Follow::Under).collect()
}
