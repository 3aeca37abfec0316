//! Overhead of the Python spy at 100 Hz on a CPU-bound script
//! (`tests/programs/fixed_work.py`), against the same script unsampled and
//! under `py-spy record -r 100 --nonblocking` (the PyPI CLI, installed into
//! `~/.cache/kiln/bench-venv` when missing).
//!
//! Each round runs the three variants in a shuffled order. Reported: the
//! script's wall time (median, and kiln minus py-spy paired by round with a
//! distribution-free 95% interval for its median), the script's own CPU time
//! (what sampling it disturbs), the profiler's CPU time (what it costs the
//! machine), and samples per second of the script's CPU time, times the rate.
//!
//! `cargo bench -p kiln-agent --bench python_overhead` (`KILN_BENCH_RUNS`,
//! default 15; `KILN_BENCH_PYTHON`, default `python3`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kiln_agent::{spawn_paused, PythonSampler, Target};

const ROUNDS: &str = "2500";
const RATE: u32 = 100;

/// The real interpreter binary (`sys.executable`), so a launcher such as
/// pyenv's shim adds nothing to the timings.
fn interpreter() -> PathBuf {
    let python = std::env::var("KILN_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python).args(["-c", "import sys; print(sys.executable)"]).output();
    let out = out.unwrap_or_else(|e| panic!("`{python}` does not run ({e}): install CPython 3"));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// `py-spy` from PyPI in a venv under `~/.cache/kiln/bench-venv`, installed on first use.
fn py_spy_cli(python: &Path) -> PathBuf {
    let home = std::env::var("HOME").expect("HOME");
    let venv = Path::new(&home).join(".cache/kiln/bench-venv");
    let cli = venv.join("bin/py-spy");
    if !cli.exists() {
        let made = Command::new(python).args(["-m", "venv"]).arg(&venv).status();
        assert!(made.is_ok_and(|s| s.success()), "python3 -m venv {} failed", venv.display());
        let pip = Command::new(venv.join("bin/pip")).args(["install", "--quiet", "py-spy"]).status();
        assert!(pip.is_ok_and(|s| s.success()), "pip install py-spy into {} failed", venv.display());
    }
    cli
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/fixed_work.py")
}

/// One run of one variant.
#[derive(Clone, Copy, Default)]
struct Run {
    /// From start to the script's exit.
    wall: Duration,
    /// The script's own CPU time, as it printed it.
    script_cpu: Duration,
    /// The profiler's CPU time.
    spy_cpu: Duration,
    samples: u64,
}

/// `cpu=<seconds>` printed by the script.
fn script_cpu(output: &Output) -> Duration {
    assert!(output.status.success(), "the script failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let cpu = text.lines().find_map(|l| l.strip_prefix("cpu=")?.parse::<f64>().ok());
    Duration::from_secs_f64(cpu.unwrap_or_else(|| panic!("no cpu= in {text}")))
}

fn unsampled(python: &Path) -> Run {
    let start = Instant::now();
    let output = Command::new(python).arg(script()).arg(ROUNDS).output().expect("run");
    Run { wall: start.elapsed(), script_cpu: script_cpu(&output), ..Run::default() }
}

fn kiln(python: &Path) -> Run {
    let me = cpu(libc::RUSAGE_SELF);
    let start = Instant::now();
    let mut command = Command::new(python);
    command.arg(script()).arg(ROUNDS).stdout(Stdio::piped());
    let paused = spawn_paused(&mut command).expect("spawn");
    let sampler = PythonSampler::start(Target::PidTree(paused.id()), RATE).expect("sampler");
    let output = paused.resume().expect("resume").wait_with_output().expect("wait");
    let wall = start.elapsed();
    let profile = sampler.stop().expect("stop");
    // Counted in the profile: the stats read before `stop` miss its last tick.
    let samples = profile.samples.iter().map(|s| s.values[0] as u64).sum();
    Run { wall, script_cpu: script_cpu(&output), spy_cpu: cpu(libc::RUSAGE_SELF) - me, samples }
}

/// `py-spy record`; its CPU time is the reaped children's (py-spy and the
/// script it waited for) less the script's own.
fn py_spy(cli: &Path, python: &Path) -> Run {
    let out = std::env::temp_dir().join(format!("kiln-bench-pyspy-{}.txt", std::process::id()));
    let children = cpu(libc::RUSAGE_CHILDREN);
    let start = Instant::now();
    let output = Command::new(cli)
        .args(["record", "-r", &RATE.to_string(), "--nonblocking", "-f", "raw", "-o"])
        .arg(&out)
        .arg("--")
        .arg(python)
        .arg(script())
        .arg(ROUNDS)
        .stderr(Stdio::null())
        .output()
        .expect("py-spy record");
    let wall = start.elapsed();
    let script_cpu = script_cpu(&output);
    let folded = std::fs::read_to_string(&out).unwrap_or_default();
    let samples = folded.lines().filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum();
    let _ = std::fs::remove_file(&out);
    let spy_cpu = (cpu(libc::RUSAGE_CHILDREN) - children).saturating_sub(script_cpu);
    Run { wall, script_cpu, spy_cpu, samples }
}

/// User + system CPU time of this process or of its reaped children.
fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage fills a zeroed rusage struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A distribution-free interval of at least 95% for the median of `v`:
/// order statistics `k` and `n + 1 - k`, `k` the largest with
/// P(Binomial(n, 1/2) < k) <= 2.5% (n = 21: ranks 6 and 16). `None` below
/// 6 values.
fn median_interval(mut v: Vec<f64>) -> Option<(f64, f64)> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mut below = 0.0; // P(X < k), starting at k = 0
    let mut k = 0;
    while k < n {
        let next = below + binomial_half(n, k);
        if next > 0.025 {
            break;
        }
        below = next;
        k += 1;
    }
    (k >= 1).then(|| (v[k - 1], v[n - k]))
}

/// P(Binomial(n, 1/2) = k).
fn binomial_half(n: usize, k: usize) -> f64 {
    let ln_choose: f64 = (0..k).map(|i| ((n - i) as f64).ln() - ((i + 1) as f64).ln()).sum();
    (ln_choose - n as f64 * std::f64::consts::LN_2).exp()
}

/// A random order of the three variants (xorshift, seeded from the clock).
fn shuffled(seed: &mut u64) -> [usize; 3] {
    let mut order = [0, 1, 2];
    for i in (1..3).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        order.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
    order
}

fn main() {
    let runs: usize = std::env::var("KILN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let python = interpreter();
    let cli = py_spy_cli(&python);
    let mut seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos()) as u64 | 1;
    let mut results: [Vec<Run>; 3] = Default::default();
    for _ in 0..runs {
        for variant in shuffled(&mut seed) {
            let run = match variant {
                0 => unsampled(&python),
                1 => kiln(&python),
                _ => py_spy(&cli, &python),
            };
            results[variant].push(run);
        }
    }
    report(&python, &results);
}

fn report(python: &Path, results: &[Vec<Run>; 3]) {
    let secs = |v: &[Run], f: fn(&Run) -> Duration| median(v.iter().map(|r| f(r).as_secs_f64()).collect());
    let base_wall = secs(&results[0], |r| r.wall);
    let runs = results[0].len();
    println!("python spy overhead, {runs} rounds in shuffled order, medians ({})", python.display());
    println!(
        "{:36} {:>8} {:>9} {:>11} {:>10} {:>10}",
        "variant", "wall", "vs base", "script cpu", "spy cpu", "samples/rc"
    );
    let names = ["unsampled", "kiln PythonSampler 100 Hz", "py-spy record -r 100 --nonblocking"];
    for (name, runs) in names.iter().zip(results) {
        let wall = secs(runs, |r| r.wall);
        let accuracy =
            median(runs.iter().map(|r| r.samples as f64 / (f64::from(RATE) * r.script_cpu.as_secs_f64())).collect());
        println!(
            "{name:36} {wall:>7.3}s {:>+8.2}% {:>10.3}s {:>9.3}s {accuracy:>10.3}",
            100.0 * (wall / base_wall - 1.0),
            secs(runs, |r| r.script_cpu),
            secs(runs, |r| r.spy_cpu),
        );
    }
    let paired: Vec<f64> = results[1]
        .iter()
        .zip(&results[2])
        .map(|(k, p)| 100.0 * (k.wall.as_secs_f64() - p.wall.as_secs_f64()) / base_wall)
        .collect();
    let interval = median_interval(paired.clone()).map_or("(too few rounds for an interval)".into(), |(lo, hi)| {
        format!("95% interval [{lo:+.2}, {hi:+.2}] points")
    });
    println!("kiln - py-spy wall, paired by round: median {:+.2} points of the bare wall, {interval}", median(paired));
}
