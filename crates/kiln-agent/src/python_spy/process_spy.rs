//! One Python process on its own thread: attach py-spy (retrying while the
//! program is not Python yet or its interpreter is still starting), then
//! read its threads' stacks on a fixed schedule, without pausing it, until it
//! exits or the sampler stops. An `exec` re-attaches to the new image.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use py_spy::config::LockingStrategy;
use py_spy::{Config, PythonSpy};

use super::procfs::maps_python;
use super::schedule::Schedule;
use super::stacks::Stacks;
use crate::cpu_credit::CpuCredit;
use crate::error::{Error, Result};
use crate::proc_stat::{stat, StatFile};

/// How long py-spy may keep failing on a process that maps an interpreter
/// before it is judged not to be a (readable) Python process.
const ATTACH_WINDOW: Duration = Duration::from_secs(5);
/// Retry interval while a process starts: catches a script's first lines.
const FAST_RETRY: Duration = Duration::from_millis(4);
/// For this long after a spy thread starts, a non-Python process is polled
/// at [`FAST_RETRY`] (an interpreter exec'd by a launcher such as pyenv's
/// shim); later, at [`SLOW_RETRY`].
const FAST_PHASE: Duration = Duration::from_secs(2);
const SLOW_RETRY: Duration = Duration::from_millis(100);
/// Consecutive failed reads of a live process after which the spy attaches
/// anew (the interpreter was replaced in a way the stack address missed).
const REATTACH_AFTER_ERRORS: u32 = 20;
/// Longest single sleep, so `stop` is noticed quickly at low rates.
const MAX_NAP: Duration = Duration::from_millis(50);

/// State shared by the sampler and all its spy threads.
pub struct Shared {
    /// Set by `stop`.
    pub stop: AtomicBool,
    /// Samples recorded (one per period of CPU time of a thread).
    pub samples: AtomicU64,
    /// Ticks whose read of a live process failed.
    pub lost: AtomicU64,
    /// Whether py-spy attached to any process of the target.
    pub attached_any: AtomicBool,
    /// Time between two ticks.
    pub period: Duration,
}

impl Shared {
    /// Shared state for ticks `period` apart.
    pub fn new(period: Duration) -> Shared {
        Shared {
            stop: AtomicBool::new(false),
            samples: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            attached_any: AtomicBool::new(false),
            period,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps until `deadline` or until `stop`, whichever comes first.
    pub fn nap_until(&self, deadline: Instant) {
        loop {
            let now = Instant::now();
            if now >= deadline || self.stopped() {
                return;
            }
            std::thread::sleep((deadline - now).min(MAX_NAP));
        }
    }
}

/// Why a process could not be profiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No interpreter was ever mapped into it while it was watched.
    NoInterpreter,
    /// py-spy kept failing for [`ATTACH_WINDOW`]; its last message.
    Unreadable(String),
    /// Reading its memory was refused.
    Permission(String),
}

impl Failure {
    /// The agent error for this failure on `pid`.
    pub fn to_error(&self, pid: u32) -> Error {
        match self {
            Failure::NoInterpreter => Error::NotPython {
                pid,
                reason: "no CPython interpreter (python*, libpython*) is mapped into it".into(),
            },
            Failure::Unreadable(message) => Error::NotPython { pid, reason: message.clone() },
            Failure::Permission(message) => Error::PythonPermission { pid, message: message.clone() },
        }
    }
}

/// What a spy thread hands back when it ends.
pub struct Outcome {
    /// The stacks it counted.
    pub stacks: Stacks,
    /// Set when the process was never profiled, and why.
    pub failure: Option<Failure>,
}

/// Starts the spy thread of `pid`. The first attach result (success or why
/// not) is sent on `verdict`, if given.
pub fn spawn(pid: u32, shared: Arc<Shared>, verdict: Option<Sender<Result<()>>>) -> Result<JoinHandle<Outcome>> {
    let credit = CpuCredit::new(shared.period.as_nanos() as u64);
    let spy = ProcessSpy { pid, shared, verdict, stacks: Stacks::default(), credit, saw_python: false };
    std::thread::Builder::new()
        .name(format!("kiln-pyspy-{pid}"))
        .spawn(move || spy.run())
        .map_err(|source| Error::Io { what: "spawning a Python spy thread", source })
}

struct ProcessSpy {
    pid: u32,
    shared: Arc<Shared>,
    verdict: Option<Sender<Result<()>>>,
    stacks: Stacks,
    credit: CpuCredit,
    saw_python: bool,
}

/// How a stretch of sampling ended.
enum SamplingEnd {
    /// The process exited or the sampler stopped.
    Done,
    /// The process runs a new program image: attach again.
    Reattach,
}

impl ProcessSpy {
    fn run(mut self) -> Outcome {
        let failure = loop {
            match self.attach() {
                Ok(mut spy) => {
                    if let SamplingEnd::Done = self.sample(&mut spy) {
                        break None;
                    }
                }
                Err(failure) => break failure,
            }
        };
        Outcome { stacks: self.stacks, failure }
    }

    /// Retries until py-spy attaches; `Err(None)` when the process exited or
    /// the sampler stopped first, `Err(Some(_))` when it cannot be profiled.
    fn attach(&mut self) -> std::result::Result<PythonSpy, Option<Failure>> {
        let began = Instant::now();
        let mut failing_since: Option<Instant> = None;
        let mut seen_alive = false;
        loop {
            if self.shared.stopped() {
                return Err((seen_alive && !self.saw_python).then_some(Failure::NoInterpreter));
            }
            let Some(status) = stat(self.pid) else {
                self.report(Err(Error::NoSuchProcess(self.pid)));
                return Err((seen_alive && !self.saw_python).then_some(Failure::NoInterpreter));
            };
            if status.stopped() {
                self.shared.nap_until(Instant::now() + FAST_RETRY);
                continue;
            }
            seen_alive = true;
            if !maps_python(self.pid) {
                self.report(Err(Failure::NoInterpreter.to_error(self.pid)));
                let wait = if began.elapsed() < FAST_PHASE { FAST_RETRY } else { SLOW_RETRY };
                self.shared.nap_until(Instant::now() + wait);
                continue;
            }
            self.saw_python = true;
            match try_attach(self.pid) {
                Ok(spy) => {
                    self.shared.attached_any.store(true, Ordering::Relaxed);
                    self.report(Ok(()));
                    return Ok(spy);
                }
                Err(failure @ Failure::Permission(_)) => return Err(Some(self.give_up(failure))),
                Err(failure) if failing_since.get_or_insert_with(Instant::now).elapsed() > ATTACH_WINDOW => {
                    return Err(Some(self.give_up(failure)));
                }
                Err(_) => self.shared.nap_until(Instant::now() + FAST_RETRY),
            }
        }
    }

    fn give_up(&mut self, failure: Failure) -> Failure {
        self.report(Err(failure.to_error(self.pid)));
        failure
    }

    /// Sends the first attach result to whoever waits for it.
    fn report(&mut self, verdict: Result<()>) {
        if let Some(tx) = self.verdict.take() {
            let _ = tx.send(verdict);
        }
    }

    /// Reads the stacks once per slot of the [`Schedule`].
    fn sample(&mut self, spy: &mut PythonSpy) -> SamplingEnd {
        let Some(mut stat_file) = StatFile::open(self.pid) else {
            return SamplingEnd::Done;
        };
        let Some(image) = stat_file.read().map(|s| s.start_stack) else {
            return SamplingEnd::Done;
        };
        let mut schedule = Schedule::new(Instant::now(), self.shared.period);
        let mut errors = 0;
        while !self.shared.stopped() {
            match stat_file.read() {
                None => return SamplingEnd::Done,
                Some(s) if s.start_stack != image => return SamplingEnd::Reattach,
                Some(_) => {}
            }
            match spy.get_stack_traces() {
                Ok(traces) => {
                    errors = 0;
                    self.record(traces);
                }
                Err(_) if stat_file.read().is_none() => return SamplingEnd::Done,
                Err(_) => {
                    self.shared.lost.fetch_add(1, Ordering::Relaxed);
                    errors += 1;
                    if errors >= REATTACH_AFTER_ERRORS {
                        return SamplingEnd::Reattach;
                    }
                }
            }
            self.shared.nap_until(schedule.next_due(Instant::now()));
        }
        SamplingEnd::Done
    }

    /// Records each thread for the CPU time it used since the last tick (see
    /// [`CpuCredit`]); a thread whose OS id py-spy could not find counts once
    /// if py-spy judges it active. A thread with no Python frame (interpreter
    /// start-up or shutdown) is left out.
    fn record(&mut self, traces: Vec<py_spy::StackTrace>) {
        self.credit.begin_tick();
        for trace in traces {
            let samples = match trace.os_thread_id {
                Some(tid) => self.credit.due(self.pid, tid),
                None => u64::from(trace.active),
            };
            if samples > 0 && !trace.frames.is_empty() {
                self.stacks.record(self.pid, trace, samples);
                self.shared.samples.fetch_add(samples, Ordering::Relaxed);
            }
        }
    }
}

/// py-spy, non-blocking, attached to `pid` and proven by one stack read.
fn try_attach(pid: u32) -> std::result::Result<PythonSpy, Failure> {
    let config = Config { blocking: LockingStrategy::NonBlocking, native: false, ..Config::default() };
    let attached = PythonSpy::new(pid as py_spy::Pid, &config).and_then(|mut spy| spy.get_stack_traces().map(|_| spy));
    attached.map_err(|e| {
        let message = format!("{e:#}");
        if is_permission_denied(e.as_ref()) {
            Failure::Permission(message)
        } else {
            Failure::Unreadable(message)
        }
    })
}

fn is_permission_denied(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied) {
            return true;
        }
        cur = e.source();
    }
    false
}
