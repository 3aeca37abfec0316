//! Continuous profiling of one program, as `kiln exec` and `kiln connect`
//! run it: the spy samples the command (or a running process) and, every
//! upload interval, a fresh spy takes over while the last one's profile is
//! built and queued for the server; the last partial interval is pushed
//! when the program exits (or kiln is asked to stop). Signals and exit
//! codes pass through as in a `kiln adhoc` session.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::launch::spawn_paused;
use crate::sampler::Target;
use crate::session::{alive, try_wait, SessionTarget};
use crate::signals::{shell_exit_code, stop_requested, SignalForwarding};
use crate::spy::{Running, Spy};
use crate::upstream::{encode_push, BufferLimits, PushClient, ShipStats, Shipper};

/// How often the loop checks the program.
const TICK: Duration = Duration::from_millis(50);
/// The profile type every spy's profile is pushed as.
const PROFILE_NAME: &str = "process_cpu";

/// How a continuous run samples and ships.
#[derive(Debug, Clone)]
pub struct ContinuousOptions {
    /// The spy that samples.
    pub spy: Spy,
    /// Samples per second of CPU time of each thread.
    pub sample_rate_hz: u32,
    /// One profile is pushed per interval.
    pub upload_interval: Duration,
    /// The series' labels besides `__name__`: `service_name`, tags, ...
    pub labels: Vec<(String, String)>,
    /// The bounds of the queue of profiles waiting to be sent.
    pub buffer: BufferLimits,
    /// How long the queue may take to empty once the program is gone.
    pub flush_limit: Duration,
}

/// What a finished run yields.
#[derive(Debug, Clone, Copy)]
pub struct ContinuousOutcome {
    /// As [`crate::SessionOutcome::exit_code`]: the child's shell exit code, `None` when attached.
    pub exit_code: Option<i32>,
    /// Samples taken over the whole run.
    pub samples: u64,
    /// Profiles the server accepted and profiles dropped.
    pub shipped: ShipStats,
}

/// Runs until the program exits (or, attached, until SIGINT/SIGTERM).
pub fn run_continuous(
    target: SessionTarget,
    options: ContinuousOptions,
    client: PushClient,
) -> Result<ContinuousOutcome> {
    let shipper = Shipper::start(client, options.buffer)?;
    let mut intervals = Intervals { options: &options, shipper: &shipper, samples: 0 };
    let exit_code = match target {
        SessionTarget::Exec(mut command) => {
            let paused =
                spawn_paused(&mut command).map_err(|source| Error::Io { what: "starting the command", source })?;
            let pid = paused.id();
            let running = Running::start(options.spy, Target::PidTree(pid), options.sample_rate_hz)?;
            let _signals = SignalForwarding::install(pid as i32);
            let mut child = paused.resume().map_err(|source| Error::Io { what: "resuming the command", source })?;
            let mut status = None;
            intervals.run(running, pid, || {
                status = try_wait(&mut child)?;
                Ok(status.is_some())
            })?;
            status.map(shell_exit_code)
        }
        SessionTarget::Attach(pid) => {
            let running = Running::start(options.spy, Target::PidTree(pid), options.sample_rate_hz)?;
            let _signals = SignalForwarding::install(0);
            intervals.run(running, pid, || Ok(!alive(pid) || stop_requested()))?;
            None
        }
    };
    let samples = intervals.samples;
    let shipped = shipper.finish(options.flush_limit);
    Ok(ContinuousOutcome { exit_code, samples, shipped })
}

/// The interval loop over one target.
struct Intervals<'a> {
    options: &'a ContinuousOptions,
    shipper: &'a Shipper,
    samples: u64,
}

impl Intervals<'_> {
    /// Samples `pid` until `ended` says so, handing over to a new spy at
    /// each interval's end; the last spy's profile is queued at the end.
    fn run(&mut self, mut running: Running, pid: u32, mut ended: impl FnMut() -> Result<bool>) -> Result<()> {
        let mut interval_start = Instant::now();
        loop {
            if ended()? {
                break;
            }
            if interval_start.elapsed() >= self.options.upload_interval {
                interval_start = Instant::now();
                // A spy that cannot start (the process exiting, a Python
                // process between interpreters) leaves the current one running.
                match Running::start(self.options.spy, Target::PidTree(pid), self.options.sample_rate_hz) {
                    Ok(next) => self.ship(std::mem::replace(&mut running, next)),
                    Err(Error::NoSuchProcess(_)) => {}
                    Err(e) => eprintln!("kiln: the next interval's spy did not start, the current one goes on: {e}"),
                }
            }
            std::thread::sleep(TICK);
        }
        self.ship(running);
        Ok(())
    }

    /// Stops a spy and queues its profile; an interval without a sample is
    /// not pushed, and one whose profile cannot be built is logged and skipped.
    fn ship(&mut self, running: Running) {
        match running.stop() {
            Ok((profile, stats)) => {
                self.samples += stats.samples;
                if !profile.samples.is_empty() {
                    self.shipper.send(encode_push(PROFILE_NAME, &self.options.labels, &profile));
                }
            }
            Err(e) => eprintln!("kiln: an interval's profile was lost: {e}"),
        }
    }
}
