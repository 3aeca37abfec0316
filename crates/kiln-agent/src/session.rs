//! A whole profiling session, as `kiln adhoc` runs it: start a command paused
//! (or attach to a running process), sample it with the native spy, forward
//! SIGINT/SIGTERM, report progress, and return the profile with the child's
//! exit code.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use kiln_model::Profile;

use crate::error::{Error, Result};
use crate::launch::spawn_paused;
use crate::sampler::{NativeSampler, SamplerStats, Target};

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
    let sampler = NativeSampler::start(Target::PidTree(paused.id()), options.sample_rate_hz)?;
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
    Ok(SessionOutcome { profile, exit_code: Some(exit_code(status)), stats, elapsed })
}

fn run_attach(
    pid: u32,
    options: SessionOptions,
    mut progress: impl FnMut(SamplerStats, Duration),
) -> Result<SessionOutcome> {
    let sampler = NativeSampler::start(Target::PidTree(pid), options.sample_rate_hz)?;
    let _signals = SignalForwarding::install(0);
    let started = Instant::now();
    let mut ticker = Ticker::new(options.progress_every);
    while alive(pid) && !STOP.load(Ordering::SeqCst) && options.duration.is_none_or(|d| started.elapsed() < d) {
        ticker.tick(|| progress(sampler.stats(), started.elapsed()));
        std::thread::sleep(TICK);
    }
    let (profile, stats, elapsed) = finish(sampler, started)?;
    Ok(SessionOutcome { profile, exit_code: None, stats, elapsed })
}

fn finish(sampler: NativeSampler, started: Instant) -> Result<(Profile, SamplerStats, Duration)> {
    let stats = sampler.stats();
    let elapsed = started.elapsed();
    Ok((sampler.stop()?, stats, elapsed))
}

fn try_wait(child: &mut Child) -> Result<Option<ExitStatus>> {
    child.try_wait().map_err(|source| Error::Io { what: "waiting for the command", source })
}

/// The shell's view of an exit status: the code, or 128 + the signal.
fn exit_code(status: ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(1)
}

/// Whether `pid` still exists (a zombie counts until it is reaped).
fn alive(pid: u32) -> bool {
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

/// The child SIGINT/SIGTERM go to; 0 means "stop the session" instead.
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);
/// Set when SIGINT/SIGTERM arrive with no child to forward them to.
static STOP: AtomicBool = AtomicBool::new(false);

/// Forwards a signal sent to kiln (by `kill`) to the child. A signal the
/// terminal sent (Ctrl-C, `si_code == SI_KERNEL`) already reached the child,
/// which shares kiln's process group, so it is not sent twice.
extern "C" fn on_signal(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    let pid = FORWARD_TO.load(Ordering::SeqCst);
    if pid <= 0 {
        STOP.store(true, Ordering::SeqCst);
        return;
    }
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let from_terminal = !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL;
    if !from_terminal {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// SIGINT and SIGTERM handlers for the session's lifetime; the previous
/// handlers come back on drop.
struct SignalForwarding {
    previous: [(libc::c_int, libc::sigaction); 2],
}

impl SignalForwarding {
    fn install(child: i32) -> SignalForwarding {
        FORWARD_TO.store(child, Ordering::SeqCst);
        STOP.store(false, Ordering::SeqCst);
        let previous = [libc::SIGINT, libc::SIGTERM].map(|signal| (signal, set_handler(signal)));
        SignalForwarding { previous }
    }
}

impl Drop for SignalForwarding {
    fn drop(&mut self) {
        for (signal, old) in &self.previous {
            // SAFETY: restoring the disposition saved by `set_handler`.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
        FORWARD_TO.store(0, Ordering::SeqCst);
    }
}

fn set_handler(signal: libc::c_int) -> libc::sigaction {
    // SAFETY: a zeroed sigaction is valid; the handler only does
    // async-signal-safe work (an atomic load/store and kill).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_signal;
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, &action, &mut old);
        old
    }
}
