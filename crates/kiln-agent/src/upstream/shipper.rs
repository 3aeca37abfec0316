//! [`Shipper`]: a thread that pushes the queued profiles in order, retrying
//! with exponential backoff while the server is unreachable (or answers
//! 5xx/429), over a [`PushBuffer`] the sampling loop fills. Encoding is done
//! by the caller, so the thread's runtime only waits on the network.
//! [`ShipQueue`] is a handle others can queue through and read the
//! counts from (`kiln agent`'s scrape tasks and `/metrics`).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::push_buffer::{BufferLimits, PushBuffer};
use super::push_client::{PushClient, PushFailure};
use crate::error::{Error, Result};

/// The first wait after a failed push; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What was shipped so far, or in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipStats {
    pub pushed: u64,
    pub dropped: u64,
    /// Push attempts that failed and were retried (server unreachable, 5xx, 429).
    pub failed: u64,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    buffer: PushBuffer,
    /// Set by [`Shipper::finish`]: the time by which the queue must be empty.
    deadline: Option<Instant>,
    /// Failed attempts, see [`ShipStats::failed`].
    failed: u64,
}

/// A handle on a [`Shipper`]'s queue, usable from any thread: queues
/// profiles and reads the counts. Queuing after the shipper finished is a
/// no-op that counts the profile as dropped.
#[derive(Clone)]
pub struct ShipQueue {
    shared: Arc<Shared>,
}

/// The pushing thread and its queue.
pub struct Shipper {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Shipper {
    /// Starts the thread.
    pub fn start(client: PushClient, limits: BufferLimits) -> Result<Shipper> {
        let state = State { buffer: PushBuffer::new(limits), deadline: None, failed: 0 };
        let shared = Arc::new(Shared { state: Mutex::new(state), wake: Condvar::new() });
        let inner = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("kiln-push".into())
            .spawn(move || ship(&client, &inner))
            .map_err(|source| Error::Io { what: "spawning the push thread", source })?;
        Ok(Shipper { shared, thread: Some(thread) })
    }

    /// Queues one encoded `PushRequest`; the oldest waiting are dropped (and
    /// logged) when the buffer's bounds are exceeded.
    pub fn send(&self, body: Vec<u8>) {
        self.queue().send(body);
    }

    /// A handle to queue through and read the counts from.
    pub fn queue(&self) -> ShipQueue {
        ShipQueue { shared: Arc::clone(&self.shared) }
    }

    /// Pushes what is left, for at most `flush_limit`; what could not be
    /// sent by then is dropped. Returns the totals.
    pub fn finish(mut self, flush_limit: Duration) -> ShipStats {
        self.shared.close(Instant::now() + flush_limit);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let left = lock(&self.shared.state).buffer.abandon();
        if left > 0 {
            eprintln!("kiln: dropped {left} profile(s) not sent by the end");
        }
        self.queue().stats()
    }
}

impl ShipQueue {
    /// As [`Shipper::send`].
    pub fn send(&self, body: Vec<u8>) {
        let mut state = lock(&self.shared.state);
        if state.deadline.is_some_and(|d| Instant::now() >= d) {
            state.buffer.dropped += 1;
            return;
        }
        let dropped = state.buffer.push(Bytes::from(body));
        drop(state);
        if dropped > 0 {
            eprintln!("kiln: push buffer full: dropped the {dropped} oldest profile(s) waiting to be sent");
        }
        self.shared.wake.notify_all();
    }

    /// The counts so far.
    pub fn stats(&self) -> ShipStats {
        let state = lock(&self.shared.state);
        ShipStats { pushed: state.buffer.pushed, dropped: state.buffer.dropped, failed: state.failed }
    }
}

impl Drop for Shipper {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shared.close(Instant::now());
        }
    }
}

impl Shared {
    /// Sets the deadline under the lock the thread waits with, so it cannot miss it.
    fn close(&self, deadline: Instant) {
        lock(&self.state).deadline = Some(deadline);
        self.wake.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The thread: sends the oldest profile until the queue is empty and the
/// deadline set, or the deadline passes.
fn ship(client: &PushClient, shared: &Shared) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        eprintln!("kiln: cannot start the push thread's runtime; nothing will be pushed");
        return;
    };
    let mut backoff = FIRST_BACKOFF;
    while let Some((seq, body)) = next(shared) {
        match runtime.block_on(client.push(body)) {
            Ok(()) => {
                lock(&shared.state).buffer.settle(seq, true);
                backoff = FIRST_BACKOFF;
            }
            Err(PushFailure::Refused(why)) => {
                eprintln!("kiln: {} refused a profile, dropped: {why}", client.url());
                lock(&shared.state).buffer.settle(seq, false);
            }
            Err(PushFailure::Retry(why)) => {
                lock(&shared.state).failed += 1;
                eprintln!("kiln: push failed, retrying in {:.1}s: {why}", backoff.as_secs_f64());
                pause(shared, backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// The next profile to send; `None` when the queue is empty after
/// [`Shipper::finish`], or the deadline has passed.
fn next(shared: &Shared) -> Option<(u64, Bytes)> {
    let mut state = lock(&shared.state);
    loop {
        if state.deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        if let Some(front) = state.buffer.front() {
            return Some(front);
        }
        if state.deadline.is_some() {
            return None;
        }
        state = shared.wake.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

/// Waits `backoff`, or less when the deadline comes first.
fn pause(shared: &Shared, backoff: Duration) {
    let until = Instant::now() + backoff;
    let until = lock(&shared.state).deadline.map_or(until, |d| d.min(until));
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
}
