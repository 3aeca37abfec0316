//! Scans: the partitions a read visits row by row (totals, exemplars,
//! heatmaps, spans, profiles by id) are loaded a few at a time on the
//! async runtime and handed, in order, to one worker on the blocking pool
//! that holds one of the store's merge-worker permits, so loops over rows
//! and samples never run on the runtime's threads and never use more
//! cores than the merges do.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc;

use crate::background::join_error;
use crate::error::{Error, ErrorKind, Result};
use crate::objects::ObjectInfo;
use crate::partition::Partition;
use crate::read::{Selected, LOADS_AT_ONCE};
use crate::read_partition::Part;
use crate::store::Store;

/// Times a query is planned again before a deleted object fails it.
const REPLANS: usize = 3;

/// Something a scan visits: one partition of one object.
pub(crate) trait Located {
    fn location(&self) -> (&ObjectInfo, usize);
}

impl Located for Selected {
    fn location(&self) -> (&ObjectInfo, usize) {
        (&self.object, self.partition)
    }
}

impl Located for (ObjectInfo, usize) {
    fn location(&self) -> (&ObjectInfo, usize) {
        (&self.0, self.1)
    }
}

/// What a scan does with a planned object that was deleted meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnGone {
    /// Fails with `ErrorKind::Gone`, for a caller that re-plans
    /// (`Store::replanning`).
    Fail,
    /// Skips it: for folds over the caller's state, which cannot be
    /// started again (exemplars, heatmaps, spans).
    Skip,
}

/// A blocking-pool task that panicked, as a storage error.
impl Store {
    /// Loads `part` of each item's partition and, on a blocking-pool
    /// worker holding a merge permit, calls `visit` with `state`, the item
    /// and the partition, in the items' order, then `finish` with the
    /// state. Damaged partitions are skipped; deleted ones as `on_gone`
    /// says.
    pub(crate) async fn scan<T, S, R>(
        &self,
        items: Vec<T>,
        part: Part,
        on_gone: OnGone,
        state: S,
        mut visit: impl FnMut(&mut S, &T, &Partition) + Send + 'static,
        finish: impl FnOnce(S) -> R + Send + 'static,
    ) -> Result<R>
    where
        T: Located + Send + 'static,
        S: Send + 'static,
        R: Send + 'static,
    {
        let permit = self.inner.merge_workers.clone().acquire_owned().await.expect("the merge pool is never closed");
        let (tx, mut rx) = mpsc::channel::<(T, Arc<Partition>)>(LOADS_AT_ONCE);
        let worker = crate::background::spawn(move || {
            let _permit = permit;
            let mut state = state;
            while let Some((item, p)) = rx.blocking_recv() {
                visit(&mut state, &item, &p);
            }
            finish(state)
        });
        let mut loaded = futures::stream::iter(items)
            .map(|item| async move {
                let (object, partition) = item.location();
                let p = match self.load(object, partition, part).await {
                    Err(e) if e.kind == ErrorKind::Gone && on_gone == OnGone::Skip => None,
                    p => p?,
                };
                Ok::<_, Error>(p.map(|p| (item, p)))
            })
            .buffered(LOADS_AT_ONCE);
        while let Some(next) = loaded.next().await {
            let Some(pair) = next? else { continue };
            if tx.send(pair).await.is_err() {
                break; // the worker panicked: its join below reports it
            }
        }
        drop(tx);
        worker.await.map_err(join_error)
    }

    /// Runs a query, planning it again (after a catalog refresh when other
    /// nodes share the object store) when an object it planned to read
    /// was deleted meanwhile: compaction on some node replaced it, and the
    /// fresh plan reads the replacement instead.
    pub(crate) async fn replanning<T, Fut>(&self, mut run: impl FnMut() -> Fut) -> Result<T>
    where
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut tries = 0;
        loop {
            match run().await {
                Err(e) if e.kind == ErrorKind::Gone && tries < REPLANS => {
                    tries += 1;
                    tracing::info!("re-planning a query: {e}");
                    if self.inner.config.refresh_interval.is_some() {
                        self.refresh().await?;
                    }
                }
                result => return result,
            }
        }
    }

    /// The selected partitions of the query that hold rows (not only
    /// rollups).
    pub(crate) fn select_with_rows(
        &self,
        tenant: &str,
        filter: &dyn crate::labels::SeriesFilter,
        range: crate::read::TimeRange,
        group_by: &[String],
    ) -> Vec<Selected> {
        let mut selected = self.select(tenant, filter, range, group_by);
        selected.retain(|sel| sel.object.meta.partitions.get(sel.partition).is_some_and(|pm| pm.profiles > 0));
        selected
    }
}
