//! Per-profile totals of only the samples under a call site (the
//! `stack_trace_selector` of `SelectSeries`): per partition, the stacks
//! under the call site are marked once, then each row sums its samples on
//! marked stacks.

use kiln_model::stacks::{SymbolDb, EMPTY_STACK};

use crate::error::Result;
use crate::labels::SeriesFilter;
use crate::read::TimeRange;
use crate::read_partition::Part;
use crate::read_rows::{row_ref, RowRef};
use crate::store::Store;

impl Store {
    /// Like [`Store::for_each_row`], each row's total being the sum of its
    /// samples whose stack starts, root first, with the frames `site`;
    /// rows with nothing under the call site are left out.
    pub async fn for_each_row_under(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        group_by: &[String],
        site: &[String],
        mut f: impl FnMut(RowRef<'_>) + Send,
    ) -> Result<()> {
        for sel in self.select(tenant, filter, range, group_by) {
            if sel.object.meta.partitions[sel.partition].profiles == 0 {
                continue;
            }
            let Some(p) = self.load(&sel.object, sel.partition, Part::Rows).await? else { continue };
            let under = stacks_under(&p.db, site);
            for row in p.rows.iter().filter(|r| range.contains(r.time_nanos) && sel.series.contains_key(&r.series)) {
                let samples = row.samples.stack_ids.iter().zip(&row.samples.values);
                let total = samples
                    .filter(|(&id, _)| under.get(id as usize).copied().unwrap_or(false))
                    .fold(0i64, |a, (_, &v)| a.saturating_add(v));
                if total == 0 {
                    continue;
                }
                if let Some(r) = row_ref(&sel, row.series, row.time_nanos, row.id, total) {
                    f(r);
                }
            }
        }
        Ok(())
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
