//! [`NativeSampler`]: samples a process tree with `perf_event_open`
//! (`cpu-clock`), unwinds in a reader thread and symbolizes at `stop()`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use kiln_model::Profile;

use crate::collector::{Collected, Collector, Counters};
use crate::error::{Error, Result};
use crate::events::{open_events, OpenEvents};
use crate::profile_out::{build_profile, Span};
use crate::reader::{run_reader, WakePipe};

/// What to sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A process and all of its threads, including threads created later.
    Pid(u32),
    /// A process, its threads, and every process it forks after sampling
    /// starts (children inherit the events), with their threads.
    PidTree(u32),
}

impl Target {
    fn pid(self) -> u32 {
        match self {
            Target::Pid(pid) | Target::PidTree(pid) => pid,
        }
    }
}

/// Counts for a live progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SamplerStats {
    /// Samples unwound and kept so far.
    pub samples: u64,
    /// Samples the kernel dropped because a ring buffer was full.
    pub lost: u64,
}

/// A running native sampler; [`NativeSampler::stop`] returns the profile.
pub struct NativeSampler {
    rate_hz: u32,
    counters: Arc<Counters>,
    wake: Arc<WakePipe>,
    reader: Option<JoinHandle<Collected>>,
    started: SystemTime,
}

impl NativeSampler {
    /// Starts sampling `target` at `sample_rate_hz` samples per second of CPU
    /// time of each thread.
    pub fn start(target: Target, sample_rate_hz: u32) -> Result<NativeSampler> {
        let rate_hz = sample_rate_hz.clamp(1, 10_000);
        let pid = target.pid();
        let events = open_events(pid, rate_hz)?;
        let counters = Arc::new(Counters::default());
        let collector = Collector::new(pid, matches!(target, Target::PidTree(_)), Arc::clone(&counters));
        let wake = Arc::new(WakePipe::new()?);
        let reader = spawn_reader(events, collector, Arc::clone(&wake))?;
        Ok(NativeSampler { rate_hz, counters, wake, reader: Some(reader), started: SystemTime::now() })
    }

    /// Samples taken and lost so far.
    pub fn stats(&self) -> SamplerStats {
        SamplerStats {
            samples: self.counters.samples.load(Ordering::Relaxed),
            lost: self.counters.lost.load(Ordering::Relaxed),
        }
    }

    /// Stops sampling, drains what is left and returns the symbolized
    /// profile. Works whether or not the target is still alive.
    pub fn stop(self) -> Result<Profile> {
        Ok(self.stop_with_stats()?.0)
    }

    /// Like [`NativeSampler::stop`], also returning the final counts: unlike
    /// [`NativeSampler::stats`] called before stopping, they include the
    /// samples of the last drain (up to 100 ms of samples per CPU).
    pub fn stop_with_stats(mut self) -> Result<(Profile, SamplerStats)> {
        let collected = self.join()?;
        let stats = self.stats();
        let period = 1_000_000_000 / i64::from(self.rate_hz);
        let duration = self.started.elapsed().map(|d| d.as_nanos() as i64).unwrap_or(0);
        let start = self.started.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
        let span = Span { start_nanos: start, duration_nanos: duration };
        Ok((build_profile(&collected, period, span), stats))
    }

    fn join(&mut self) -> Result<Collected> {
        self.wake.wake();
        let reader = self.reader.take().ok_or(Error::ReaderPanicked)?;
        reader.join().map_err(|_| Error::ReaderPanicked)
    }
}

impl Drop for NativeSampler {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.join();
        }
    }
}

fn spawn_reader(events: OpenEvents, collector: Collector, wake: Arc<WakePipe>) -> Result<JoinHandle<Collected>> {
    std::thread::Builder::new()
        .name("kiln-perf-reader".into())
        .spawn(move || run_reader(events, collector, &wake))
        .map_err(|source| Error::Io { what: "spawning the perf reader thread", source })
}
