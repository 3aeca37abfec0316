//! Processes picked by pid, name or command-line pattern
//! (`[[process_configs]]`): a thread rescans `/proc` every few seconds,
//! starts the configured spy (native, Python, Ruby, or picked per process)
//! on each new match, pushes one profile per upload interval with the
//! process's labels (`service_name`, `pid`, `process_name` and the entry's
//! own), and stops the spy when the process exits. Counters per entry.

mod matcher;
mod spied;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use matcher::ProcessMatcher;

use crate::error::{Error, Result};
use crate::session::alive;
use crate::spy::Spy;
use matcher::{comm, running_pids};
use spied::{Shipped, Spied};

/// How often the thread checks its spies for exits and interval ends.
const TICK: Duration = Duration::from_millis(100);

/// One `[[process_configs]]` entry.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    pub matcher: ProcessMatcher,
    /// `None`: picked per process (`spy = "auto"`).
    pub spy: Option<Spy>,
    /// Extra series labels; a `service_name` here replaces the process name.
    pub labels: Vec<(String, String)>,
    pub sample_rate_hz: u32,
}

/// How often to rescan and to push.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub scan_interval: Duration,
    pub upload_interval: Duration,
}

/// One entry's counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchStats {
    /// Processes whose spy started.
    pub started: u64,
    /// Processes whose spy stopped because they exited.
    pub exited: u64,
    /// Processes being sampled now.
    pub running: u64,
    /// Processes that matched but whose spy could not start.
    pub failed: u64,
    /// Samples taken over all intervals that ended.
    pub samples: u64,
    /// Profiles handed to the shipper.
    pub profiles: u64,
}

#[derive(Default)]
struct Counters {
    started: AtomicU64,
    exited: AtomicU64,
    running: AtomicU64,
    failed: AtomicU64,
    samples: AtomicU64,
    profiles: AtomicU64,
}

/// Where a watcher's profiles and counts go (a job's shipping queue and
/// its counters).
pub trait WatchSink: Send + 'static {
    /// One interval of one process: an encoded Push API request of `samples` samples.
    fn profile(&self, body: Vec<u8>, samples: u64);
    /// How many processes are being sampled now.
    fn processes(&self, running: usize);
    /// A matched process whose spy could not start.
    fn failed(&self);
}

/// The watching thread.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    counters: Arc<Vec<Counters>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching; every profile goes to `sink`.
    pub fn start(configs: Vec<ProcessConfig>, options: WatchOptions, sink: impl WatchSink) -> Result<Watcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let counters: Arc<Vec<Counters>> = Arc::new(configs.iter().map(|_| Counters::default()).collect());
        let mut state = Watch { configs, options, counters: Arc::clone(&counters), sink, spied: BTreeMap::new() };
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("kiln-watch".into())
            .spawn(move || state.run(&stopping))
            .map_err(|source| Error::Io { what: "spawning the process watcher thread", source })?;
        Ok(Watcher { stop, counters, thread: Some(thread) })
    }

    /// Each entry's counts, in the order of the configs.
    pub fn stats(&self) -> Vec<WatchStats> {
        self.counters
            .iter()
            .map(|c| WatchStats {
                started: c.started.load(Ordering::Relaxed),
                exited: c.exited.load(Ordering::Relaxed),
                running: c.running.load(Ordering::Relaxed),
                failed: c.failed.load(Ordering::Relaxed),
                samples: c.samples.load(Ordering::Relaxed),
                profiles: c.profiles.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Stops every spy, pushing their last intervals, and the thread.
    pub fn stop(mut self) -> Vec<WatchStats> {
        self.halt();
        self.stats()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The thread's state.
struct Watch<S> {
    configs: Vec<ProcessConfig>,
    options: WatchOptions,
    counters: Arc<Vec<Counters>>,
    sink: S,
    /// By (entry, pid).
    spied: BTreeMap<(usize, u32), Spied>,
}

impl<S: WatchSink> Watch<S> {
    fn run(&mut self, stop: &AtomicBool) {
        let mut failed: BTreeSet<(usize, u32)> = BTreeSet::new();
        let mut last_scan: Option<Instant> = None;
        while !stop.load(Ordering::Relaxed) {
            if last_scan.is_none_or(|t| t.elapsed() >= self.options.scan_interval) {
                last_scan = Some(Instant::now());
                let pids = running_pids();
                failed.retain(|(_, pid)| pids.contains(pid));
                self.scan(&pids, &mut failed);
            }
            self.tend();
            self.sink.processes(self.spied.len());
            std::thread::sleep(TICK);
        }
        for ((entry, _), spied) in std::mem::take(&mut self.spied) {
            let shipped = spied.stop();
            self.deliver(entry, shipped);
            self.counters[entry].running.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Starts a spy on every new match.
    fn scan(&mut self, pids: &[u32], failed: &mut BTreeSet<(usize, u32)>) {
        for (entry, config) in self.configs.iter().enumerate() {
            for &pid in pids {
                let key = (entry, pid);
                if self.spied.contains_key(&key) || failed.contains(&key) || !config.matcher.matches(pid) {
                    continue;
                }
                let counters = &self.counters[entry];
                match Spied::start(
                    pid,
                    config.spy.unwrap_or_else(|| Spy::for_process(pid)),
                    config.sample_rate_hz,
                    labels(config, pid),
                ) {
                    Ok(spied) => {
                        self.spied.insert(key, spied);
                        counters.started.fetch_add(1, Ordering::Relaxed);
                        counters.running.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(Error::NoSuchProcess(_)) => {}
                    Err(e) => {
                        eprintln!("kiln: process_configs[{entry}]: pid {pid} matched but cannot be sampled: {e}");
                        failed.insert(key);
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        self.sink.failed();
                    }
                }
            }
        }
    }

    /// Stops the spies of exited processes; rotates the others' intervals.
    fn tend(&mut self) {
        let keys: Vec<(usize, u32)> = self.spied.keys().copied().collect();
        for key in keys {
            let (entry, pid) = key;
            let exited = if alive(pid) {
                let Some(spied) = self.spied.get_mut(&key) else { continue };
                match spied.rotate(self.options.upload_interval) {
                    Ok(shipped) => {
                        if let Some(shipped) = shipped {
                            self.deliver(entry, shipped);
                        }
                        false
                    }
                    Err(_) => true,
                }
            } else {
                true
            };
            if exited {
                if let Some(spied) = self.spied.remove(&key) {
                    let shipped = spied.stop();
                    self.deliver(entry, shipped);
                }
                let counters = &self.counters[entry];
                counters.exited.fetch_add(1, Ordering::Relaxed);
                counters.running.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn deliver(&self, entry: usize, shipped: Shipped) {
        let counters = &self.counters[entry];
        counters.samples.fetch_add(shipped.samples, Ordering::Relaxed);
        if let Some(body) = shipped.body {
            self.sink.profile(body, shipped.samples);
            counters.profiles.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The series labels of a watched process: `service_name` (the entry's,
/// else the process name), `process_name`, `pid`, then the entry's others.
fn labels(config: &ProcessConfig, pid: u32) -> Vec<(String, String)> {
    let name = comm(pid).unwrap_or_default();
    let service =
        config.labels.iter().find(|(k, _)| k == "service_name").map_or_else(|| name.clone(), |(_, v)| v.clone());
    let mut labels = vec![
        ("service_name".to_owned(), service),
        ("process_name".to_owned(), name),
        ("pid".to_owned(), pid.to_string()),
    ];
    labels.extend(config.labels.iter().filter(|(k, _)| k != "service_name").cloned());
    labels
}
