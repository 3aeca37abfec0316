//! The example's work, shared with the Pyroscope SDK peer
//! (`pyroscope-peer/`): two CPU-bound functions called in a fixed 3 : 1
//! ratio of iterations, each call's thread CPU time measured, so the
//! application knows its own split to compare with the profiler's.

use std::hint::black_box;
use std::time::Duration;

/// The calling thread's CPU time.
pub fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The hot function: three quarters of the iterations.
#[inline(never)]
pub fn price_cart(iterations: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..iterations {
        x = black_box(x.rotate_left(5) ^ i).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
    x
}

/// The light function: one quarter.
#[inline(never)]
pub fn rank_results(iterations: u64) -> u64 {
    let mut x = 0x94d0_49bb_1331_11ebu64;
    for i in 0..iterations {
        x = black_box(x.rotate_right(7) ^ i).wrapping_mul(0x2545_f491_4f6c_dd1d);
    }
    x
}

/// CPU time the workloads took, measured by the application.
#[derive(Default)]
pub struct Split {
    pub checkout: Duration,
    pub search: Duration,
    pub checksum: u64,
}

impl Split {
    /// `checkout_seconds=… search_seconds=… price_cart_percent=…`
    pub fn report(&self) -> String {
        let (c, s) = (self.checkout.as_secs_f64(), self.search.as_secs_f64());
        format!("checkout_seconds={c:.3} search_seconds={s:.3} price_cart_percent={:.2}", 100.0 * c / (c + s))
    }
}

/// How long to run: a fixed number of rounds (a fixed amount of work) or
/// until the workloads used this much CPU.
pub enum Limit {
    Rounds(u64),
    CpuTime(Duration),
}

impl Limit {
    /// `--rounds N` or `--seconds S` (CPU seconds), else 2000 rounds.
    pub fn from_args(flag: impl Fn(&str) -> Option<String>) -> Result<Limit, Box<dyn std::error::Error>> {
        Ok(match (flag("--rounds"), flag("--seconds")) {
            (Some(rounds), _) => Limit::Rounds(rounds.parse()?),
            (None, Some(seconds)) => Limit::CpuTime(Duration::from_secs_f64(seconds.parse()?)),
            (None, None) => Limit::Rounds(2000),
        })
    }

    fn reached(&self, rounds: u64, split: &Split) -> bool {
        match self {
            Limit::Rounds(n) => rounds >= *n,
            Limit::CpuTime(t) => split.checkout + split.search >= *t,
        }
    }
}

/// [`run`] on `threads` threads at once, `limit` shared between them;
/// the splits added up.
pub fn run_threads(threads: u32, limit: &Limit, tagged: impl Fn(&'static str, &mut dyn FnMut()) + Sync) -> Split {
    let share = match limit {
        Limit::Rounds(n) => Limit::Rounds(n / u64::from(threads)),
        Limit::CpuTime(t) => Limit::CpuTime(*t / threads),
    };
    let splits: Vec<Split> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads).map(|_| s.spawn(|| run(&share, &tagged))).collect();
        workers.into_iter().map(|w| w.join().expect("workload thread")).collect()
    });
    splits.into_iter().fold(Split::default(), |a, b| Split {
        checkout: a.checkout + b.checkout,
        search: a.search + b.search,
        checksum: a.checksum ^ b.checksum,
    })
}

/// Runs rounds of checkout (`price_cart`) then search (`rank_results`),
/// each inside `tagged(workload, work)`, until `limit`.
fn run(limit: &Limit, mut tagged: impl FnMut(&'static str, &mut dyn FnMut())) -> Split {
    let mut split = Split::default();
    let mut rounds = 0;
    while !limit.reached(rounds, &split) {
        rounds += 1;
        let mut checksum = 0;
        let start = thread_cpu();
        tagged("checkout", &mut || checksum ^= price_cart(300_000));
        let middle = thread_cpu();
        tagged("search", &mut || checksum ^= rank_results(100_000));
        let end = thread_cpu();
        split.checkout += middle - start;
        split.search += end - middle;
        split.checksum ^= checksum;
    }
    split
}
