//! The connections being served, each with what it is doing: how many
//! requests it has in flight and since when it has had none. At the limit,
//! a new connection takes the place of the one idle longest, so clients
//! that open connections and send nothing cannot lock others out; when
//! every connection has a request in flight, the new one is refused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// What one connection is doing, shared between its task and the registry.
pub struct Activity {
    in_flight: AtomicUsize,
    last_change: Mutex<Instant>,
    changed: Notify,
    evicted: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            last_change: Mutex::new(Instant::now()),
            changed: Notify::new(),
            evicted: Notify::new(),
        }
    }

    /// Marks a request in flight until the guard is dropped.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        InFlight(self.clone())
    }

    fn touch(&self) {
        *lock(&self.last_change) = Instant::now();
        self.changed.notify_waiters();
    }

    /// Since when no request has been in flight; `None` while one is.
    fn idle_since(&self) -> Option<Instant> {
        (self.in_flight.load(Ordering::SeqCst) == 0).then(|| *lock(&self.last_change))
    }

    /// Resolves once the connection has had no request in flight for `timeout`.
    pub async fn idle_for(&self, timeout: Duration) {
        loop {
            let changed = self.changed.notified();
            let Some(since) = self.idle_since() else {
                changed.await;
                continue;
            };
            if tokio::time::timeout_at(since + timeout, changed).await.is_err() {
                return;
            }
        }
    }

    /// Resolves when the registry gives this connection's place to a new one.
    pub async fn evicted(&self) {
        self.evicted.notified().await
    }
}

/// A request in flight on a connection.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

/// The live connections, at most `capacity` of them.
pub struct Registry {
    capacity: usize,
    next_id: AtomicUsize,
    live: Mutex<HashMap<usize, Arc<Activity>>>,
}

impl Registry {
    pub fn new(capacity: usize) -> Arc<Registry> {
        Arc::new(Registry { capacity, next_id: AtomicUsize::new(0), live: Mutex::new(HashMap::new()) })
    }

    /// A place for a new connection: free, or taken from the connection
    /// idle longest (which is told to close); `None` when every connection
    /// has a request in flight.
    pub fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut live = lock(&self.live);
        if live.len() >= self.capacity {
            let (id, _) = live.iter().filter_map(|(id, a)| Some((*id, a.idle_since()?))).min_by_key(|(_, t)| *t)?;
            let oldest = live.remove(&id).expect("chosen from the map");
            oldest.evicted.notify_one();
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity::new());
        live.insert(id, activity.clone());
        Some(Admitted { registry: self.clone(), id, activity })
    }
}

/// A connection's place in the registry, given back when dropped.
pub struct Admitted {
    registry: Arc<Registry>,
    id: usize,
    pub activity: Arc<Activity>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        lock(&self.registry.live).remove(&self.id);
    }
}

/// The data behind a mutex, even if a thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::Registry;

    #[tokio::test]
    async fn at_capacity_the_connection_idle_longest_gives_way() {
        let registry = Registry::new(2);
        let first = registry.admit().unwrap();
        let second = registry.admit().unwrap();
        let _busy = second.activity.begin();
        let third = registry.admit().expect("the idle first connection gives way");
        first.activity.evicted().await;
        assert_eq!(super::lock(&registry.live).len(), 2);
        let _also_busy = third.activity.begin();
        assert!(registry.admit().is_none(), "every connection has a request in flight");
    }
}
