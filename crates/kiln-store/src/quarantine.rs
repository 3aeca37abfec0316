//! Damaged objects are moved aside: from `blocks/<tenant>/<name>` to
//! `quarantine/<tenant>/<name>`, out of the catalog. Compaction then never
//! merges them, retention never counts them, a restart (which lists
//! `blocks/` only) never brings them back, and an operator can inspect
//! them. Each is reported once: a log line and [`Store::corrupt_objects`].

use object_store::path::{Path, PathPart};
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, ErrorKind};
use crate::objects::ObjectInfo;
use crate::store::Store;

/// Where quarantined objects go, beside `blocks/`.
pub const QUARANTINE: &str = "quarantine";

/// The quarantine path of a block path: the same tenant and name.
pub fn quarantine_path(path: &Path) -> Path {
    Path::from_iter(std::iter::once(PathPart::from(QUARANTINE)).chain(path.parts().skip(1)))
}

/// Moves one object to quarantine. A failed move is logged, not returned:
/// the object is out of the catalog either way, and the next start tries
/// again (its footer or a section still fails to read).
pub async fn move_aside(store: &dyn ObjectStore, path: &Path) {
    let to = quarantine_path(path);
    match store.rename(path, &to).await {
        Ok(()) => tracing::warn!("moved damaged block {path} to {to}"),
        Err(e) => tracing::warn!("could not move damaged block {path} to {to}: {}", Error::from(e)),
    }
}

/// Whether an error reading an object means the object itself is damaged
/// (rather than the object store failing, or a newer format).
pub fn is_damage(e: &Error) -> bool {
    e.kind == ErrorKind::Corrupt
}

impl Store {
    /// Unreadable objects found so far, with the reason; the damaged ones
    /// were moved to quarantine.
    pub fn corrupt_objects(&self) -> Vec<String> {
        self.inner.corrupt.lock().expect("corrupt lock").clone()
    }

    fn report_corrupt(&self, what: String) {
        tracing::warn!("skipping damaged data: {what}");
        self.inner.corrupt.lock().expect("corrupt lock").push(what);
    }

    /// Reports a damaged object, drops it from the catalog and the cache,
    /// and moves it to quarantine. An object no longer in the catalog
    /// (quarantined by another reader, or replaced by compaction, whose
    /// output was read whole) is left alone.
    pub(crate) async fn quarantine(&self, object: &ObjectInfo, reason: String) {
        let removed = self
            .inner
            .catalog
            .write()
            .expect("catalog lock")
            .remove(&object.meta.tenant, std::slice::from_ref(&object.meta.id));
        if removed.is_empty() {
            return;
        }
        self.forget_cached(&object.meta.id);
        self.report_corrupt(format!("{}: {reason}", object.path));
        move_aside(self.inner.object_store.as_ref(), &object.path).await;
    }
}
