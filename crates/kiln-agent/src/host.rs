//! Whole-host profiling: every process on the machine sampled through one
//! system-wide `cpu-clock` event per CPU (no eBPF), each sample's user
//! stack unwound with DWARF by a per-process framehop unwinder over
//! binaries parsed once, kernel frames named from `/proc/kallsyms` when the
//! kernel allows, and one profile per process per interval, labelled with
//! the process's name, pid, cgroup and container id. Processes that start
//! later are picked up from their `exec`/`mmap` records (or `/proc/PID/maps`
//! on first sight); exited ones are forgotten.

mod events;
mod intervals;
mod process_info;
mod symbolizer;

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use kiln_model::Profile;

pub use process_info::ProcessInfo;

use crate::collector::{Collector, Counters};
use crate::error::{Error, Result};
use crate::reader::{run_reader_with, WakePipe};
use crate::sampler::SamplerStats;
use events::open_host_events;
use intervals::Intervals;
use symbolizer::run_symbolizer;

/// How the host is sampled.
#[derive(Debug, Clone, Copy)]
pub struct HostOptions {
    /// Samples per second per CPU (of CPU time).
    pub sample_rate_hz: u32,
    /// One profile per process is cut per interval.
    pub interval: Duration,
    /// Read DWARF for inlined frames and source lines. Off, functions are
    /// named by symbol tables alone (as `perf report` does by default):
    /// parsing the DWARF of every large binary a busy host runs (compilers,
    /// language runtimes) is most of the profiler's CPU time.
    pub inline_frames: bool,
}

impl Default for HostOptions {
    fn default() -> HostOptions {
        HostOptions { sample_rate_hz: 100, interval: Duration::from_secs(10), inline_frames: false }
    }
}

/// One process's profile over one interval.
#[derive(Debug, Clone)]
pub struct ProcessProfile {
    pub pid: u32,
    pub info: ProcessInfo,
    pub profile: Profile,
}

impl ProcessProfile {
    /// Its series labels: `process_name`, `pid`, and `cgroup` and
    /// `container_id` when known.
    pub fn labels(&self) -> Vec<(String, String)> {
        let mut labels =
            vec![("process_name".to_owned(), self.info.name.clone()), ("pid".to_owned(), self.pid.to_string())];
        if !self.info.cgroup.is_empty() {
            labels.push(("cgroup".to_owned(), self.info.cgroup.clone()));
        }
        if let Some(id) = &self.info.container_id {
            labels.push(("container_id".to_owned(), id.clone()));
        }
        labels
    }
}

/// A running whole-host profiler.
pub struct HostProfiler {
    counters: Arc<Counters>,
    wake: Arc<WakePipe>,
    reader: Option<JoinHandle<()>>,
    symbolizer: Option<JoinHandle<()>>,
    batches: Receiver<Vec<ProcessProfile>>,
}

impl HostProfiler {
    /// Opens the events and starts the reader thread.
    pub fn start(options: HostOptions) -> Result<HostProfiler> {
        let rate_hz = options.sample_rate_hz.clamp(1, 10_000);
        let events = open_host_events(rate_hz)?;
        let counters = Arc::new(Counters::default());
        let collector = Collector::whole_host(Arc::clone(&counters));
        let wake = Arc::new(WakePipe::new()?);
        let (cuts, cut_receiver) = mpsc::channel();
        let (batch_sender, batches) = mpsc::channel();
        let period_nanos = 1_000_000_000 / i64::from(rate_hz);
        let symbolizer = std::thread::Builder::new()
            .name("kiln-host-symbols".into())
            .spawn(move || run_symbolizer(cut_receiver, batch_sender, period_nanos, options.inline_frames))
            .map_err(|source| Error::Io { what: "spawning the host symbolizer thread", source })?;
        let mut intervals = Intervals::new(options.interval, cuts);
        let waker = Arc::clone(&wake);
        let reader = std::thread::Builder::new()
            .name("kiln-host-reader".into())
            .spawn(move || {
                run_reader_with(events, collector, &waker, |c, stopping| intervals.after_drain(c, stopping));
            })
            .map_err(|source| Error::Io { what: "spawning the host reader thread", source })?;
        Ok(HostProfiler { counters, wake, reader: Some(reader), symbolizer: Some(symbolizer), batches })
    }

    /// Samples kept and lost so far.
    pub fn stats(&self) -> SamplerStats {
        SamplerStats {
            samples: self.counters.samples.load(Ordering::Relaxed),
            lost: self.counters.lost.load(Ordering::Relaxed),
        }
    }

    /// The next interval's profiles, waiting at most `timeout`.
    pub fn next_interval(&self, timeout: Duration) -> Option<Vec<ProcessProfile>> {
        self.batches.recv_timeout(timeout).ok()
    }

    /// Stops sampling: the intervals not yet taken, the last partial one included.
    pub fn stop(mut self) -> Result<Vec<Vec<ProcessProfile>>> {
        self.join()?;
        Ok(self.batches.try_iter().collect())
    }

    /// Stops the reader (which hands over the last cut) and waits for the
    /// symbolizer to finish with it.
    fn join(&mut self) -> Result<()> {
        self.wake.wake();
        let reader = self.reader.take().ok_or(Error::ReaderPanicked)?;
        let read = reader.join().map_err(|_| Error::ReaderPanicked);
        let symbolizer = self.symbolizer.take().ok_or(Error::ReaderPanicked)?;
        symbolizer.join().map_err(|_| Error::ReaderPanicked)?;
        read
    }
}

impl Drop for HostProfiler {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.join();
        }
    }
}
