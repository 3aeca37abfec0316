//! The pool that runs the CPU work of queries and compaction (decoding
//! partitions, summing samples, building trees, merging and encoding
//! blocks) below everything else in the process: its threads run at nice
//! 10 on Linux, so when the cores are busy, the async runtime's threads
//! (accepting connections, reading bodies, answering `/ready`) and ingestion
//! (decoding uploads and writing segments on tokio's own blocking pool) are
//! scheduled first, and a heavy query waits instead of them.
//!
//! One pool per process, as tokio's blocking pool is: it is the blocking
//! pool of a runtime of its own, whose threads lower their priority as they
//! start. Linux keeps a nice value per thread, and an unprivileged thread
//! cannot raise it back, so these threads never run anything else.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinError, JoinHandle};

use crate::error::{Error, ErrorKind};

/// The nice value of the pool's threads (0 is the default, 19 the lowest).
pub const NICE: i32 = 10;

fn pool() -> &'static Runtime {
    static POOL: OnceLock<Runtime> = OnceLock::new();
    POOL.get_or_init(|| {
        Builder::new_current_thread()
            .thread_name("kiln-background")
            .on_thread_start(lower_priority)
            .build()
            .expect("the background pool's runtime builds")
    })
}

/// Runs `f` on the background pool; awaiting the handle gives its result,
/// or the panic it ended with.
pub fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    pool().spawn_blocking(f)
}

/// A panic in background work as a storage error.
pub(crate) fn join_error(e: JoinError) -> Error {
    Error::new(ErrorKind::Storage, format!("background work failed: {e}"))
}

/// Lowers the calling thread's scheduling priority to [`NICE`] unless it
/// is lower already (a process started with `nice -n 15` keeps 15); a
/// failure leaves it as it was (the work still runs, only not below the
/// rest).
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: `gettid`, `getpriority` and `setpriority` take and return
    // plain integers.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        if libc::getpriority(libc::PRIO_PROCESS, tid) < NICE {
            libc::setpriority(libc::PRIO_PROCESS, tid, NICE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn own_nice() -> i32 {
        // SAFETY: as above.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[tokio::test]
    async fn background_work_runs_below_the_caller_and_the_callers_priority_is_unchanged() {
        let caller = own_nice();
        let background = spawn(own_nice).await.unwrap();
        assert_eq!(background, caller.max(NICE));
        assert_eq!(own_nice(), caller);
        let blocking = tokio::task::spawn_blocking(own_nice).await.unwrap();
        assert_eq!(blocking, caller, "tokio's own blocking pool keeps the process's priority");
    }

    #[tokio::test]
    async fn a_panic_in_background_work_reaches_the_awaiting_task() {
        let e = spawn(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert!(e.is_panic());
    }
}
