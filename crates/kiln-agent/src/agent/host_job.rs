//! `[host]`: the whole-host profiler as one agent job named `host`. Every
//! process on the machine is sampled (`crate::host`), and each interval
//! each process's profile is pushed as `process_cpu` with `service_name`
//! (the process name), `process_name`, `pid`, `cgroup`, `container_id`
//! when there is one, and the section's own labels.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::config::{check_labels, duration};
use super::metrics::JobCounters;
use crate::error::{Error, Result};
use crate::host::{HostOptions, HostProfiler, ProcessProfile};
use crate::upstream::{encode_push, ShipQueue};

/// The job's name on `/metrics`.
pub const HOST_JOB: &str = "host";

/// How often the job's thread looks for a stop request.
const POLL: Duration = Duration::from_millis(200);

/// `[host]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    #[serde(default)]
    pub enabled: bool,
    /// Samples per second per CPU.
    #[serde(default = "default_sample_rate")]
    pub sample_rate: u32,
    #[serde(default = "default_upload_interval", deserialize_with = "duration")]
    pub upload_interval: Duration,
    /// Inlined frames and source lines from DWARF (more CPU on a busy host).
    #[serde(default)]
    pub inline_frames: bool,
    /// Added to every process's labels (`service_name` here replaces the process name).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

fn default_sample_rate() -> u32 {
    100
}
fn default_upload_interval() -> Duration {
    Duration::from_secs(10)
}

impl HostConfig {
    pub(super) fn check(&self) -> Result<()> {
        if !(1..=1000).contains(&self.sample_rate) {
            return Err(Error::Config(format!("[host] sample_rate {} must be 1 to 1000", self.sample_rate)));
        }
        if self.upload_interval < Duration::from_secs(1) {
            return Err(Error::Config("[host] upload_interval must be at least 1s".into()));
        }
        check_labels(&self.labels).map_err(|e| Error::Config(format!("[host] {e}")))
    }

    /// Opens the system-wide events: fails without the privileges they need.
    pub fn start_profiler(&self) -> Result<HostProfiler> {
        HostProfiler::start(HostOptions {
            sample_rate_hz: self.sample_rate,
            interval: self.upload_interval,
            inline_frames: self.inline_frames,
        })
    }
}

/// Runs the profiler's pushes in a thread; returns how to stop it (the
/// last partial interval is pushed too).
pub fn run(
    profiler: HostProfiler,
    labels: BTreeMap<String, String>,
    queue: ShipQueue,
    counters: Arc<JobCounters>,
) -> Box<dyn FnOnce() + Send> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let ship = move |batch: Vec<ProcessProfile>| {
        counters.set_targets(batch.len());
        for process in batch {
            let samples = process.profile.samples.iter().map(|s| s.values.first().copied().unwrap_or(0)).sum::<i64>();
            queue.send(encode_push("process_cpu", &series_labels(&process, &labels), &process.profile));
            counters.taken(samples.max(0) as u64);
        }
    };
    let thread = std::thread::Builder::new().name("kiln-host-job".into()).spawn(move || {
        while !stopping.load(Ordering::Relaxed) {
            if let Some(batch) = profiler.next_interval(POLL) {
                ship(batch);
            }
        }
        match profiler.stop() {
            Ok(batches) => batches.into_iter().for_each(ship),
            Err(e) => eprintln!("kiln agent: [host]: the last interval was lost: {e}"),
        }
    });
    match thread {
        Ok(thread) => Box::new(move || {
            stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }),
        Err(e) => {
            eprintln!("kiln agent: [host]: cannot start its thread: {e}");
            Box::new(|| {})
        }
    }
}

/// `service_name` (the section's, else the process name), the process's
/// own labels, then the section's others.
fn series_labels(process: &ProcessProfile, extra: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let service = extra.get("service_name").cloned().unwrap_or_else(|| process.info.name.clone());
    let mut labels = vec![("service_name".to_owned(), service)];
    labels.extend(process.labels());
    labels.extend(extra.iter().filter(|(k, _)| *k != "service_name").map(|(k, v)| (k.clone(), v.clone())));
    labels
}
