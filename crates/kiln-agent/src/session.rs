//! A whole profiling session, as `kiln adhoc` runs it: start a command paused
//! (or attach to a running process), sample it with the chosen spy, forward
//! SIGINT/SIGTERM, report progress, and return the profile with the child's
//! exit code.

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use kiln_model::Profile;

use crate::error::{Error, Result};
use crate::launch::spawn_paused;
use crate::sampler::{SamplerStats, Target};
use crate::signals::{shell_exit_code, stop_requested, SignalForwarding};
use crate::spy::{Running, Spy};

/// How often the session checks the child and may report progress.
const TICK: Duration = Duration::from_millis(50);

/// What a session profiles.
pub enum SessionTarget {
    /// Run this command from its first instruction until it exits.
    Exec(Command),
    /// Attach to a running process (and the children it forks from now on).
    Attach(u32),
}

/// How a session samples.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// The spy that samples.
    pub spy: Spy,
    /// Samples per second of CPU time of each thread.
    pub sample_rate_hz: u32,
    /// Stop sampling after this long (the command, if any, still runs to its end).
    pub duration: Option<Duration>,
    /// At least this long between two progress reports.
    pub progress_every: Duration,
}

/// What a finished session yields.
pub struct SessionOutcome {
    /// The symbolized profile.
    pub profile: Profile,
    /// The exit code a shell would report for the child: its own code, or
    /// 128 + the signal that killed it; `None` in attach mode.
    pub exit_code: Option<i32>,
    /// Sample counts at the end.
    pub stats: SamplerStats,
    /// How long sampling ran.
    pub elapsed: Duration,
}

/// Runs the session; `progress` is called at most once per
/// `options.progress_every` with the counts and the time elapsed.
pub fn run_session(
    target: SessionTarget,
    options: SessionOptions,
    progress: impl FnMut(SamplerStats, Duration),
) -> Result<SessionOutcome> {
    match target {
        SessionTarget::Exec(command) => run_exec(command, options, progress),
        SessionTarget::Attach(pid) => run_attach(pid, options, progress),
    }
}

fn run_exec(
    mut command: Command,
    options: SessionOptions,
    mut progress: impl FnMut(SamplerStats, Duration),
) -> Result<SessionOutcome> {
    let paused = spawn_paused(&mut command).map_err(|source| Error::Io { what: "starting the command", source })?;
    let sampler = Running::start(options.spy, Target::PidTree(paused.id()), options.sample_rate_hz)?;
    let _signals = SignalForwarding::install(paused.id() as i32);
    let mut child = paused.resume().map_err(|source| Error::Io { what: "resuming the command", source })?;
    let started = Instant::now();
    let mut ticker = Ticker::new(options.progress_every);
    let mut sampler = Some(sampler);
    let mut result = None;
    let status = loop {
        if let Some(status) = try_wait(&mut child)? {
            break status;
        }
        if let Some(s) = &sampler {
            ticker.tick(|| progress(s.stats(), started.elapsed()));
        }
        if options.duration.is_some_and(|d| started.elapsed() >= d) {
            if let Some(s) = sampler.take() {
                result = Some(finish(s, started)?);
            }
        }
        std::thread::sleep(TICK);
    };
    let (profile, stats, elapsed) = match (result, sampler) {
        (Some(done), _) => done,
        (None, Some(s)) => finish(s, started)?,
        (None, None) => return Err(Error::ReaderPanicked),
    };
    Ok(SessionOutcome { profile, exit_code: Some(shell_exit_code(status)), stats, elapsed })
}

fn run_attach(
    pid: u32,
    options: SessionOptions,
    mut progress: impl FnMut(SamplerStats, Duration),
) -> Result<SessionOutcome> {
    let sampler = Running::start(options.spy, Target::PidTree(pid), options.sample_rate_hz)?;
    let _signals = SignalForwarding::install(0);
    let started = Instant::now();
    let mut ticker = Ticker::new(options.progress_every);
    while alive(pid) && !stop_requested() && options.duration.is_none_or(|d| started.elapsed() < d) {
        ticker.tick(|| progress(sampler.stats(), started.elapsed()));
        std::thread::sleep(TICK);
    }
    let (profile, stats, elapsed) = finish(sampler, started)?;
    Ok(SessionOutcome { profile, exit_code: None, stats, elapsed })
}

fn finish(sampler: Running, started: Instant) -> Result<(Profile, SamplerStats, Duration)> {
    let elapsed = started.elapsed();
    let (profile, stats) = sampler.stop()?;
    Ok((profile, stats, elapsed))
}

pub(crate) fn try_wait(child: &mut Child) -> Result<Option<ExitStatus>> {
    child.try_wait().map_err(|source| Error::Io { what: "waiting for the command", source })
}

/// Whether `pid` still exists (a zombie counts until it is reaped).
pub(crate) fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as i32, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Calls a closure at most once per period.
struct Ticker {
    every: Duration,
    last: Option<Instant>,
}

impl Ticker {
    fn new(every: Duration) -> Ticker {
        Ticker { every, last: None }
    }

    fn tick(&mut self, f: impl FnOnce()) {
        if self.last.is_none_or(|t| t.elapsed() >= self.every) {
            self.last = Some(Instant::now());
            f();
        }
    }
}
