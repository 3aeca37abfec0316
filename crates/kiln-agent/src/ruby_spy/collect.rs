//! The collector thread: one rbspy sampler per Ruby process of the target
//! (the process itself and, for a tree, each descendant that runs Ruby,
//! found by a scan of `/proc`), the stacks they send counted by the CPU time
//! their process used, and a sampler started again while its process is not
//! yet a readable Ruby.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use rbspy::sampler::Sampler;
use rbspy::StackTrace;
use rustc_hash::{FxHashMap, FxHashSet};

use super::stacks::Stacks;
use super::tree;
use crate::cpu_credit::CpuCredit;
use crate::proc_tree::TreeWatch;

/// How long a Ruby process rbspy cannot read yet is retried: a freshly
/// exec'd `ruby` must load libruby and build its VM first, and one rbspy
/// run gives up after about 3 s of attempts.
const PATIENCE: Duration = Duration::from_secs(10);
/// How often the collector looks at the stop flag and the processes.
const POLL: Duration = Duration::from_millis(10);
/// How often it looks for new descendants and for processes turning to Ruby.
const SCAN_EVERY: Duration = Duration::from_millis(100);
/// Stacks rbspy may queue before its sampling threads wait for us.
const QUEUE: usize = 4_096;

/// What the sampler and its collector thread share.
#[derive(Default)]
pub(super) struct Control {
    /// Set by `stop()`.
    pub stop: AtomicBool,
    /// Stacks received so far.
    pub samples: AtomicU64,
}

/// What the collector thread hands back.
pub(super) struct Outcome {
    pub stacks: Stacks,
    /// Why no stack could be read, if that is what happened.
    pub error: Option<String>,
}

/// How far the spy of one process got.
enum Watch {
    /// Not running Ruby (yet), or waiting to try again.
    Waiting,
    /// An rbspy sampler reads its stacks; `results` gets its end.
    Sampling { sampler: Sampler, results: Receiver<anyhow::Result<()>> },
    /// Sampled to its end, or given up on.
    Done,
}

/// One process of the target.
struct Watched {
    watch: Watch,
    /// When rbspy was first started on it.
    first_try: Option<Instant>,
    /// Whether rbspy has read one of its stacks.
    read: bool,
    /// Its CPU time, paid out in samples.
    cpu: CpuCredit,
}

impl Watched {
    fn new(period_ns: u64) -> Watched {
        Watched { watch: Watch::Waiting, first_try: None, read: false, cpu: CpuCredit::new(period_ns) }
    }
}

/// Samples `root` (and its descendants with `subprocesses`) until `stop` is
/// set or `root` ends.
pub(super) fn run(root: u32, subprocesses: bool, rate_hz: u32, control: &Control) -> Outcome {
    let (traces_tx, traces) = mpsc::sync_channel(QUEUE);
    let mut collector = Collector::new(root, rate_hz, control, traces_tx);
    let mut last_tick = Instant::now();
    let mut last_scan: Option<Instant> = None;
    loop {
        if let Ok(trace) = traces.recv_timeout(POLL) {
            collector.add(&trace);
        }
        if last_scan.is_some() && last_tick.elapsed() < POLL {
            continue;
        }
        last_tick = Instant::now();
        let stopping = control.stop.load(Ordering::Relaxed) || !tree::alive(root);
        let scan = last_scan.is_none_or(|t| t.elapsed() >= SCAN_EVERY);
        if scan {
            last_scan = Some(Instant::now());
            if subprocesses && !stopping {
                collector.discover();
            }
        }
        if collector.advance(stopping, scan) && stopping {
            break;
        }
    }
    traces.try_iter().for_each(|trace| collector.add(&trace));
    collector.finish()
}

/// The collector thread's state.
struct Collector<'a> {
    root: u32,
    root_exe: String,
    rate_hz: u32,
    control: &'a Control,
    traces_tx: SyncSender<StackTrace>,
    processes: FxHashMap<u32, Watched>,
    /// The root's descendants, with `subprocesses`.
    family: TreeWatch,
    stacks: Stacks,
    error: Option<String>,
}

impl<'a> Collector<'a> {
    fn new(root: u32, rate_hz: u32, control: &'a Control, traces_tx: SyncSender<StackTrace>) -> Self {
        let mut processes = FxHashMap::default();
        processes.insert(root, Watched::new(period_ns(rate_hz)));
        let root_exe = tree::executable(root);
        let family = TreeWatch::new(root);
        Collector {
            root,
            root_exe,
            rate_hz,
            control,
            traces_tx,
            processes,
            family,
            stacks: Stacks::default(),
            error: None,
        }
    }

    /// Counts a stack once per period of CPU time its process used since the
    /// stack before: rbspy sends one per tick while the process is runnable,
    /// which on a busy machine includes ticks spent waiting for a core. The
    /// whole process's CPU time is fair to the one thread sampled, as the
    /// interpreter lock lets one Ruby thread run at a time.
    fn add(&mut self, trace: &StackTrace) {
        let pid = trace.pid.map_or(0, |p| p as u32);
        let Some(watched) = self.processes.get_mut(&pid) else { return };
        watched.read = true;
        let samples = watched.cpu.due_process(pid);
        if samples > 0 {
            self.stacks.add(trace, samples);
            self.control.samples.fetch_add(samples, Ordering::Relaxed);
        }
    }

    /// Watches descendants not seen before and forgets finished ones that
    /// are gone.
    fn discover(&mut self) {
        let living: FxHashSet<u32> = self.family.scan().into_iter().collect();
        let root = self.root;
        self.processes.retain(|pid, w| *pid == root || living.contains(pid) || !matches!(w.watch, Watch::Done));
        let period_ns = period_ns(self.rate_hz);
        for &pid in &living {
            self.processes.entry(pid).or_insert_with(|| Watched::new(period_ns));
        }
    }

    /// Moves every process's spy on; true once all of them are done.
    fn advance(&mut self, stopping: bool, scan: bool) -> bool {
        let pids: Vec<u32> = self.processes.keys().copied().collect();
        let mut all_done = true;
        for pid in pids {
            let Some(watched) = self.processes.get_mut(&pid) else { continue };
            let watch = std::mem::replace(&mut watched.watch, Watch::Done);
            let next = self.next_watch(pid, watch, stopping, scan);
            all_done &= matches!(next, Watch::Done);
            if let Some(watched) = self.processes.get_mut(&pid) {
                watched.watch = next;
            }
        }
        all_done
    }

    fn next_watch(&mut self, pid: u32, watch: Watch, stopping: bool, scan: bool) -> Watch {
        match watch {
            Watch::Waiting if stopping || !tree::alive(pid) => Watch::Done,
            Watch::Waiting if scan && tree::runs_ruby(pid) => self.start(pid),
            Watch::Sampling { sampler, results } => {
                // rbspy's on-CPU check fails on a reaped process until it gives
                // up with a message on stderr: stop it as soon as it is gone.
                if stopping || !tree::alive(pid) {
                    sampler.stop();
                }
                match results.try_recv() {
                    Err(TryRecvError::Empty) => Watch::Sampling { sampler, results },
                    Ok(Err(error)) => self.failed(pid, &error, stopping),
                    Ok(Ok(())) | Err(TryRecvError::Disconnected) => Watch::Done,
                }
            }
            other => other,
        }
    }

    /// Starts rbspy on one process: never pausing it (no lock), no time
    /// limit, the Ruby version read from the process, on-CPU samples only.
    fn start(&mut self, pid: u32) -> Watch {
        if let Some(watched) = self.processes.get_mut(&pid) {
            watched.first_try.get_or_insert_with(Instant::now);
        }
        let sampler = Sampler::new(pid as rbspy::Pid, self.rate_hz, false, None, false, None, true);
        let (results_tx, results) = mpsc::channel();
        match sampler.start(self.traces_tx.clone(), results_tx) {
            Ok(()) => Watch::Sampling { sampler, results },
            Err(error) => {
                self.error.get_or_insert_with(|| describe(&error));
                Watch::Done
            }
        }
    }

    /// rbspy gave up on `pid`: try again while it may still be starting up.
    fn failed(&mut self, pid: u32, error: &anyhow::Error, stopping: bool) -> Watch {
        let alive = tree::alive(pid);
        let read_before = self.processes.get(&pid).is_some_and(|w| w.read);
        let first_try = self.processes.get(&pid).and_then(|w| w.first_try);
        if alive && !read_before && !stopping && first_try.is_some_and(|t| t.elapsed() < PATIENCE) {
            return Watch::Waiting;
        }
        if alive && !read_before {
            self.error.get_or_insert_with(|| format!("pid {pid}: {}", describe(error)));
        }
        Watch::Done
    }

    fn finish(mut self) -> Outcome {
        let root_tried = self.processes.get(&self.root).is_some_and(|w| w.first_try.is_some());
        if self.stacks.is_empty() && self.error.is_none() && !root_tried {
            self.error = Some(format!("its executable is {} and it has no libruby loaded", self.root_exe));
        }
        Outcome { stacks: self.stacks, error: self.error }
    }
}

/// The CPU time one sample stands for.
fn period_ns(rate_hz: u32) -> u64 {
    1_000_000_000 / u64::from(rate_hz.max(1))
}

/// An rbspy error as one line of causes, without the backtrace some of its
/// messages embed.
fn describe(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    text.split("\n\nStack backtrace:").next().unwrap_or_default().trim().to_owned()
}
