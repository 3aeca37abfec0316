//! [`PythonSampler`]: the Python spy. py-spy (as a library) reads CPython's
//! thread states and frames from the target's memory without pausing it; one
//! thread per Python process reads them once per slot of a fixed wall-clock
//! grid (at a random point in the slot, against aliasing) and
//! records each thread once per period of CPU time it used since the last
//! tick (the kernel's per-thread accounting), so idle threads are left out as
//! `py-spy record` leaves them out, and samples = rate x CPU time even on a
//! busy machine, where "runnable" is not "running".
//!
//! Where the samples land is a different matter on a busy machine: a thread
//! waiting for a core is read where it stopped, and the kernel stops a
//! thread whose time slice ran out at its next tick or at a system call
//! that updates its CPU time (`clock_gettime` of a CPU clock, as Python's
//! `time.thread_time()`). A loop calling such a clock between short calls
//! then shows much of its callees' time on the calling line (seen: half of
//! a profile with two spare busy loops on two cores). py-spy does the same;
//! perf and the native spy, which sample only running threads, do not.

mod process_spy;
mod procfs;
mod schedule;
mod stacks;

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kiln_model::Profile;
use rustc_hash::FxHashSet;

use self::process_spy::{Outcome, Shared};
use self::procfs::maps_python;
use self::stacks::{build_profile, Span};
use crate::error::{Error, Result};
use crate::fd_limit::raise_fd_limit;
use crate::proc_stat;
use crate::proc_tree::TreeWatch;
use crate::sampler::{SamplerStats, Target};

/// How often a process tree is scanned for new Python processes.
const DISCOVERY_PERIOD: Duration = Duration::from_millis(200);
/// How long `start` waits for py-spy to attach to a running target.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(7);

/// A running Python sampler; [`PythonSampler::stop`] returns the profile.
///
/// Frames are py-spy's: the function name (`<module>` for module level),
/// the file name as the code object has it, and the line being run; stacks
/// are labelled with `thread_name` (or the OS thread id) and `pid`.
pub struct PythonSampler {
    pid: u32,
    rate_hz: u32,
    shared: Arc<Shared>,
    root: Option<JoinHandle<Outcome>>,
    watcher: Option<JoinHandle<Vec<std::thread::Result<Outcome>>>>,
    started: SystemTime,
}

impl PythonSampler {
    /// Starts sampling `target` at `sample_rate_hz` ticks per second of wall
    /// time; a thread that ran all along gets one sample per tick.
    ///
    /// With [`Target::PidTree`], Python processes the target starts later are
    /// sampled too. A target stopped at `exec` (see [`crate::spawn_paused`])
    /// is attached as soon as its interpreter is up, so this returns at once;
    /// a running target must be Python (or become so within a few seconds).
    pub fn start(target: Target, sample_rate_hz: u32) -> Result<PythonSampler> {
        let (pid, tree) = match target {
            Target::Pid(pid) => (pid, false),
            Target::PidTree(pid) => (pid, true),
        };
        let status = proc_stat::stat(pid).ok_or(Error::NoSuchProcess(pid))?;
        // Each thread's `schedstat` stays open while it lives.
        raise_fd_limit();
        let rate_hz = sample_rate_hz.clamp(1, 10_000);
        let shared = Arc::new(Shared::new(Duration::from_nanos(1_000_000_000 / u64::from(rate_hz))));
        let (verdict, first) = mpsc::channel();
        let root = process_spy::spawn(pid, Arc::clone(&shared), Some(verdict))?;
        let mut sampler =
            PythonSampler { pid, rate_hz, shared, root: Some(root), watcher: None, started: SystemTime::now() };
        if !status.stopped() {
            if let Ok(Err(e)) = first.recv_timeout(ATTACH_TIMEOUT) {
                return Err(e);
            }
        }
        if tree {
            sampler.watcher = Some(spawn_watcher(pid, Arc::clone(&sampler.shared))?);
        }
        Ok(sampler)
    }

    /// Samples taken so far, and ticks whose read of a live process failed.
    pub fn stats(&self) -> SamplerStats {
        SamplerStats {
            samples: self.shared.samples.load(Ordering::Relaxed),
            lost: self.shared.lost.load(Ordering::Relaxed),
        }
    }

    /// Stops sampling and returns the profile. Works whether or not the
    /// target is still alive; fails only when no process of the target was
    /// ever Python (or readable).
    pub fn stop(mut self) -> Result<Profile> {
        let (root, children) = self.join()?;
        if !self.shared.attached_any.load(Ordering::Relaxed) {
            if let Some(failure) = &root.failure {
                return Err(failure.to_error(self.pid));
            }
        }
        let mut all = Vec::with_capacity(children.len() + 1);
        all.push(root.stacks);
        all.extend(children.into_iter().map(|c| c.stacks));
        let period = 1_000_000_000 / i64::from(self.rate_hz);
        let duration = self.started.elapsed().map(|d| d.as_nanos() as i64).unwrap_or(0);
        let start = self.started.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
        Ok(build_profile(&all, period, Span { start_nanos: start, duration_nanos: duration }))
    }

    fn join(&mut self) -> Result<(Outcome, Vec<Outcome>)> {
        self.shared.stop.store(true, Ordering::Relaxed);
        let root = self.root.take().map(JoinHandle::join);
        let children = self.watcher.take().map(JoinHandle::join);
        let root = root.ok_or(Error::ReaderPanicked)?.map_err(|_| Error::ReaderPanicked)?;
        let children = children.unwrap_or_else(|| Ok(Vec::new())).map_err(|_| Error::ReaderPanicked)?;
        let children =
            children.into_iter().collect::<std::thread::Result<Vec<_>>>().map_err(|_| Error::ReaderPanicked)?;
        Ok((root, children))
    }
}

impl Drop for PythonSampler {
    fn drop(&mut self) {
        if self.root.is_some() {
            let _ = self.join();
        }
    }
}

fn spawn_watcher(root: u32, shared: Arc<Shared>) -> Result<JoinHandle<Vec<std::thread::Result<Outcome>>>> {
    std::thread::Builder::new()
        .name("kiln-pyspy-tree".into())
        .spawn(move || watch_tree(root, &shared))
        .map_err(|source| Error::Io { what: "spawning the Python process watcher", source })
}

/// Scans the tree every [`DISCOVERY_PERIOD`] and starts a spy thread for each
/// new process with an interpreter mapped (one that is not Python yet is
/// looked at again next scan); at stop, joins them all.
fn watch_tree(root: u32, shared: &Arc<Shared>) -> Vec<std::thread::Result<Outcome>> {
    let mut watch = TreeWatch::new(root);
    let mut spied: FxHashSet<u32> = std::iter::once(root).collect();
    let mut spies = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let scan_started = Instant::now();
        for pid in watch.scan() {
            if !spied.contains(&pid) && maps_python(pid) {
                if let Ok(handle) = process_spy::spawn(pid, Arc::clone(shared), None) {
                    spied.insert(pid);
                    spies.push(handle);
                }
            }
        }
        shared.nap_until(scan_started + DISCOVERY_PERIOD);
    }
    spies.into_iter().map(JoinHandle::join).collect()
}
