//! Scoped tags. Each distinct set of tags is interned once (outside the
//! signal handler) as a small id; a thread's current id sits in a
//! thread-local atomic with a constant initialiser, so the signal handler
//! reads it with one load: no lazy initialisation, no lock, no allocation.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{compiler_fence, AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use rustc_hash::FxHashMap;

/// Tag pairs sorted by key, one value per key.
pub type TagSet = Vec<(String, String)>;

thread_local! {
    static CURRENT: AtomicU32 = const { AtomicU32::new(0) };
}

/// Every tag set seen, by id; id 0 is the empty set.
#[derive(Default)]
struct Registry {
    sets: Vec<TagSet>,
    ids: FxHashMap<TagSet, u32>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<Registry>> {
    let mut guard = REGISTRY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.get_or_insert_with(|| Registry { sets: vec![Vec::new()], ids: FxHashMap::from_iter([(Vec::new(), 0)]) });
    guard
}

/// The calling thread's tag-set id. Async-signal-safe.
pub fn current_id() -> u32 {
    CURRENT.with(|id| id.load(Ordering::Relaxed))
}

fn set_current(id: u32) {
    CURRENT.with(|current| current.store(id, Ordering::Relaxed));
    // The handler runs on this thread: keep the work of the scope after the store.
    compiler_fence(Ordering::SeqCst);
}

/// The tags of a set id (empty when unknown).
pub fn tags_of(id: u32) -> TagSet {
    registry().as_ref().and_then(|r| r.sets.get(id as usize).cloned()).unwrap_or_default()
}

/// The id of the set `base` with `tags` added (a key in both takes the new value).
fn with_tags(base: u32, tags: &[(&str, &str)]) -> u32 {
    let mut guard = registry();
    let registry = guard.as_mut().expect("initialised by registry()");
    let mut set = registry.sets.get(base as usize).cloned().unwrap_or_default();
    for (key, value) in tags {
        match set.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(at) => set[at].1 = (*value).to_owned(),
            Err(at) => set.insert(at, ((*key).to_owned(), (*value).to_owned())),
        }
    }
    if let Some(id) = registry.ids.get(&set) {
        return *id;
    }
    let id = registry.sets.len() as u32;
    registry.sets.push(set.clone());
    registry.ids.insert(set, id);
    id
}

/// Restores the thread's previous tags when dropped. Not `Send`: tags
/// belong to the thread that set them.
#[must_use = "the tags are removed when the guard is dropped"]
pub struct TagGuard {
    previous: u32,
    _this_thread: PhantomData<Cell<*const ()>>,
}

impl Drop for TagGuard {
    fn drop(&mut self) {
        set_current(self.previous);
    }
}

/// Adds `tags` to the calling thread's samples until the guard drops.
/// Keys follow the rules of [`crate::AgentBuilder::tags`]; a server refuses
/// a profile with another key, which `Stats::pushes_failed` counts.
pub fn tag_guard(tags: &[(&str, &str)]) -> TagGuard {
    let previous = current_id();
    set_current(with_tags(previous, tags));
    TagGuard { previous, _this_thread: PhantomData }
}

/// Runs `work` with `tags` added to the calling thread's samples.
pub fn tag_scope<R>(tags: &[(&str, &str)], work: impl FnOnce() -> R) -> R {
    let _guard = tag_guard(tags);
    work()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_override_and_restore_on_the_calling_thread_only() {
        assert_eq!(current_id(), 0);
        tag_scope(&[("workload", "a"), ("env", "x")], || {
            let outer = current_id();
            assert_eq!(tags_of(outer), [("env".into(), "x".into()), ("workload".into(), "a".into())]);
            {
                let _g = tag_guard(&[("workload", "b")]);
                assert_eq!(tags_of(current_id()), [("env".into(), "x".into()), ("workload".into(), "b".into())]);
                assert_eq!(std::thread::spawn(current_id).join().unwrap(), 0, "other threads keep their own tags");
            }
            assert_eq!(current_id(), outer);
        });
        assert_eq!(current_id(), 0);
        let again = tag_scope(&[("env", "x"), ("workload", "a")], current_id);
        assert_eq!(tags_of(again), [("env".into(), "x".into()), ("workload".into(), "a".into())], "interned once");
    }
}
