//! `[[process_configs]]`: processes picked by `pid`, `name` or `cmdline`
//! (a regular expression), each entry one agent job with its own watcher
//! (`crate::watch`), queue and counters.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::config::{check_labels, duration};
use super::metrics::JobCounters;
use crate::error::{Error, Result};
use crate::spy::Spy;
use crate::upstream::ShipQueue;
use crate::watch::{ProcessConfig, ProcessMatcher, WatchOptions, WatchSink, Watcher};

/// One `[[process_configs]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessJobConfig {
    /// The job's name on `/metrics`; by default what it matches (`name=nginx`).
    pub job_name: Option<String>,
    pub pid: Option<u32>,
    pub name: Option<String>,
    pub cmdline: Option<String>,
    /// `auto` (by executable and loaded libraries), `native`, `python` or `ruby`.
    #[serde(default = "default_spy")]
    pub spy: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default = "default_sample_rate")]
    pub sample_rate: u32,
    #[serde(default = "default_upload_interval", deserialize_with = "duration")]
    pub upload_interval: Duration,
    /// How often `/proc` is scanned for new matches.
    #[serde(default = "default_scan_interval", deserialize_with = "duration")]
    pub scan_interval: Duration,
}

fn default_spy() -> String {
    "auto".to_owned()
}
fn default_sample_rate() -> u32 {
    100
}
fn default_upload_interval() -> Duration {
    Duration::from_secs(10)
}
fn default_scan_interval() -> Duration {
    Duration::from_secs(5)
}

impl ProcessJobConfig {
    /// The job's name.
    pub fn job_name(&self) -> String {
        if let Some(name) = &self.job_name {
            return name.clone();
        }
        match (self.pid, &self.name, &self.cmdline) {
            (Some(pid), _, _) => format!("pid={pid}"),
            (_, Some(name), _) => format!("name={name}"),
            (_, _, Some(pattern)) => format!("cmdline={pattern}"),
            _ => String::new(),
        }
    }

    pub(super) fn check(&self) -> Result<()> {
        self.watch_config().map(|_| ())
    }

    /// The watcher's form of the entry; what is wrong, named, otherwise.
    pub fn watch_config(&self) -> Result<ProcessConfig> {
        let job = self.job_name();
        let invalid = |why: String| Error::Config(format!("process_configs {job:?}: {why}"));
        let matcher = match (self.pid, &self.name, &self.cmdline) {
            (Some(pid), None, None) => ProcessMatcher::Pid(pid),
            (None, Some(name), None) if !name.is_empty() => ProcessMatcher::Name(name.clone()),
            (None, None, Some(pattern)) => ProcessMatcher::cmdline(pattern).map_err(|e| invalid(e.to_string()))?,
            _ => return Err(invalid("give exactly one of pid, name (not empty) or cmdline".into())),
        };
        let spy = match self.spy.as_str() {
            "auto" => None,
            "native" => Some(Spy::Native),
            "python" => Some(Spy::Python),
            "ruby" => Some(Spy::Ruby),
            other => return Err(invalid(format!("spy {other:?} is not one of auto, native, python, ruby"))),
        };
        if !(1..=1000).contains(&self.sample_rate) {
            return Err(invalid(format!("sample_rate {} must be 1 to 1000", self.sample_rate)));
        }
        if self.upload_interval < Duration::from_secs(1) || self.scan_interval < Duration::from_millis(100) {
            return Err(invalid("upload_interval must be at least 1s and scan_interval at least 100ms".into()));
        }
        check_labels(&self.labels).map_err(invalid)?;
        let labels = self.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok(ProcessConfig { matcher, spy, labels, sample_rate_hz: self.sample_rate })
    }
}

/// A job's queue and counters, as the watcher's sink.
struct JobSink {
    queue: ShipQueue,
    counters: Arc<JobCounters>,
}

impl WatchSink for JobSink {
    fn profile(&self, body: Vec<u8>, samples: u64) {
        self.queue.send(body);
        self.counters.taken(samples);
    }

    fn processes(&self, running: usize) {
        self.counters.set_targets(running);
    }

    fn failed(&self) {
        self.counters.failed();
    }
}

/// Starts the entry's watcher; returns how to stop it (each spy's last
/// interval is pushed).
pub fn run(
    config: ProcessConfig,
    entry: &ProcessJobConfig,
    queue: ShipQueue,
    counters: Arc<JobCounters>,
) -> Box<dyn FnOnce() + Send> {
    let options = WatchOptions { scan_interval: entry.scan_interval, upload_interval: entry.upload_interval };
    match Watcher::start(vec![config], options, JobSink { queue, counters }) {
        Ok(watcher) => Box::new(move || drop(watcher.stop())),
        Err(e) => {
            eprintln!("kiln agent: process_configs {:?}: cannot start: {e}", entry.job_name());
            Box::new(|| {})
        }
    }
}
