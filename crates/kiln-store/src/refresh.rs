//! Catalog refresh for stores that share their object store with other
//! nodes: list `blocks/`, read the footers of objects not seen before (two
//! ranged reads each), drop objects no longer listed and objects another
//! names as its sources. Cost per refresh: one LIST request per 1,000
//! objects, plus two GETs per new object.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use object_store::path::Path;

use crate::error::{ErrorKind, Result};
use crate::objects::{self, ObjectInfo};
use crate::quarantine;
use crate::store::Store;

/// What refreshes remember between rounds.
#[derive(Debug, Default)]
pub struct RefreshState {
    /// Listed objects that another object replaces, by path: not read
    /// again while they wait for the lease holder to delete them.
    stale: HashMap<Path, ObjectInfo>,
    /// Listed objects whose footer is damaged or of a newer format.
    unreadable: HashSet<Path>,
}

impl Store {
    /// Brings the catalog in line with the object store: objects other
    /// nodes wrote come in, objects deleted or replaced go out. Returns the
    /// listed objects that others replace (the lease holder deletes them).
    pub async fn refresh(&self) -> Result<Vec<ObjectInfo>> {
        let mut state = self.inner.refresh.lock().await;
        let before: HashSet<Path> =
            self.inner.catalog.read().expect("catalog lock").all().into_iter().map(|o| o.path).collect();
        let listed = objects::list_blocks(self.inner.object_store.as_ref()).await?;
        let listed_paths: HashSet<Path> = listed.iter().map(|m| m.location.clone()).collect();
        state.stale.retain(|p, _| listed_paths.contains(p));
        state.unreadable.retain(|p| listed_paths.contains(p));
        let new: Vec<_> = listed
            .into_iter()
            .filter(|m| !before.contains(&m.location))
            .filter(|m| !state.stale.contains_key(&m.location) && !state.unreadable.contains(&m.location))
            .collect();
        let (found, bad) = objects::read_footers(self.inner.object_store.as_ref(), new, &self.inner.labels).await?;
        for (path, e) in bad {
            tracing::warn!("skipping unreadable block {path}: {e}");
            if quarantine::is_damage(&e) && self.lease_held() {
                quarantine::move_aside(self.inner.object_store.as_ref(), &path).await;
            } else if e.kind != ErrorKind::Storage {
                // Damaged, or a newer format: not read again while listed.
                // A failed request is tried again at the next refresh.
                state.unreadable.insert(path);
            }
        }
        let (gone, stale) = {
            let mut catalog = self.inner.catalog.write().expect("catalog lock");
            let gone: Vec<ObjectInfo> = catalog
                .all()
                .into_iter()
                .filter(|o| before.contains(&o.path) && !listed_paths.contains(&o.path))
                .collect();
            for o in &gone {
                catalog.remove(&o.meta.tenant, std::slice::from_ref(&o.meta.id));
            }
            for o in found {
                catalog.insert(o);
            }
            (gone, catalog.remove_replaced())
        };
        for o in gone.iter().chain(&stale) {
            self.forget_cached(&o.meta.id);
        }
        for o in &stale {
            state.stale.insert(o.path.clone(), o.clone());
        }
        Ok(state.stale.values().cloned().collect())
    }
}

/// Refreshes the catalog on a timer until shutdown.
pub(crate) async fn refresher(store: Store, every: Duration) {
    let mut shutdown = store.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait_for(|&closed| closed) => return,
        }
        if let Err(e) = store.refresh().await {
            tracing::warn!("catalog refresh failed: {e}");
        }
    }
}
