//! [`RubySampler`]: the Ruby spy. rbspy reads the stacks of a Ruby (MRI)
//! interpreter straight from the target's memory (`process_vm_readv`) from
//! its own sampling thread, without stopping the process; a collector thread
//! here runs one rbspy sampler per Ruby process of the target, counts
//! identical stacks, and `stop()` builds the profile.

mod collect;
mod stacks;
mod tree;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use kiln_model::Profile;

use crate::error::{Error, Result};
use crate::sampler::{SamplerStats, Target};
use collect::{Control, Outcome};

/// The highest rate the Ruby spy samples at: each sample is a handful of
/// reads of the target's memory from a thread that sleeps between them.
const MAX_RATE_HZ: u32 = 1_000;

/// A running Ruby sampler; [`RubySampler::stop`] returns the profile.
///
/// It samples the Ruby thread that holds the interpreter lock whenever the
/// process is runnable, and counts each stack once per period of CPU time
/// the process used since the stack before, so `sample_rate_hz` samples
/// stand for one second of Ruby CPU time even on a busy machine, where
/// "runnable" includes waiting for a core. A freshly started interpreter is
/// attached to as soon as Ruby has initialized (retried for a few seconds),
/// so a command started with [`crate::spawn_paused`] is sampled from its
/// first Ruby line.
pub struct RubySampler {
    pid: u32,
    rate_hz: u32,
    control: Arc<Control>,
    collector: Option<JoinHandle<Outcome>>,
    started: SystemTime,
}

impl RubySampler {
    /// Starts sampling `target` at `sample_rate_hz` (1 to 1000) samples per
    /// second; [`Target::PidTree`] also samples its descendants that run
    /// Ruby (an executable named `ruby*` or a `libruby` loaded), found within
    /// 100 ms, so a shell or `make` in between is fine.
    pub fn start(target: Target, sample_rate_hz: u32) -> Result<RubySampler> {
        let (pid, subprocesses) = match target {
            Target::Pid(pid) => (pid, false),
            Target::PidTree(pid) => (pid, true),
        };
        if !tree::alive(pid) {
            return Err(Error::NoSuchProcess(pid));
        }
        let rate_hz = sample_rate_hz.clamp(1, MAX_RATE_HZ);
        let control = Arc::new(Control::default());
        let shared = Arc::clone(&control);
        let collector = std::thread::Builder::new()
            .name("kiln-rbspy".into())
            .spawn(move || collect::run(pid, subprocesses, rate_hz, &shared))
            .map_err(|source| Error::Io { what: "spawning the Ruby spy's collector thread", source })?;
        Ok(RubySampler { pid, rate_hz, control, collector: Some(collector), started: SystemTime::now() })
    }

    /// Samples counted so far; `lost` stays 0 (rbspy waits for its channel
    /// rather than drop a stack).
    pub fn stats(&self) -> SamplerStats {
        SamplerStats { samples: self.control.samples.load(Ordering::Relaxed), lost: 0 }
    }

    /// Stops sampling and returns the profile. Works whether or not the
    /// target is still alive; fails only when rbspy never read a stack from
    /// a target that was running.
    pub fn stop(mut self) -> Result<Profile> {
        let outcome = self.join()?;
        if let (true, Some(message)) = (outcome.stacks.is_empty(), outcome.error) {
            return Err(Error::RubySpy { pid: self.pid, message });
        }
        let period = 1_000_000_000 / i64::from(self.rate_hz);
        let duration = self.started.elapsed().map(|d| d.as_nanos() as i64).unwrap_or(0);
        let start = self.started.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
        Ok(outcome.stacks.profile(period, start, duration))
    }

    fn join(&mut self) -> Result<Outcome> {
        self.control.stop.store(true, Ordering::Relaxed);
        let collector = self.collector.take().ok_or(Error::ReaderPanicked)?;
        collector.join().map_err(|_| Error::ReaderPanicked)
    }
}

impl Drop for RubySampler {
    fn drop(&mut self) {
        if self.collector.is_some() {
            let _ = self.join();
        }
    }
}
