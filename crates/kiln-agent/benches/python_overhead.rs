//! Wall-time overhead of the Python spy at 100 Hz on a CPU-bound script
//! (`tests/programs/fixed_work.py`), against the same script unsampled and
//! under `py-spy record -r 100 --nonblocking` (the PyPI CLI, installed into
//! `~/.cache/kiln/bench-venv` when missing), runs interleaved; and how many
//! samples each collected per second of the script's CPU time, times the rate.
//!
//! `cargo bench -p kiln-agent --bench python_overhead` (`KILN_BENCH_RUNS`,
//! default 7; `KILN_BENCH_PYTHON`, default `python3`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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

fn unsampled(python: &Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(python).arg(script()).arg(ROUNDS).status().expect("run");
    assert!(status.success());
    start.elapsed()
}

/// Wall time until the script exits, and the samples taken.
fn kiln(python: &Path) -> (Duration, u64) {
    let start = Instant::now();
    let mut command = Command::new(python);
    command.arg(script()).arg(ROUNDS);
    let paused = spawn_paused(&mut command).expect("spawn");
    let sampler = PythonSampler::start(Target::PidTree(paused.id()), RATE).expect("sampler");
    let status = paused.resume().expect("resume").wait().expect("wait");
    assert!(status.success());
    let exited = start.elapsed();
    let profile = sampler.stop().expect("stop");
    assert!(!profile.samples.is_empty());
    // Counted in the profile: the stats read before `stop` miss its last tick.
    let samples = profile.samples.iter().map(|s| s.values[0] as u64).sum();
    (exited, samples)
}

/// Wall time of `py-spy record`, and the samples in its raw (folded) output.
fn py_spy(cli: &Path, python: &Path) -> (Duration, u64) {
    let out = std::env::temp_dir().join(format!("kiln-bench-pyspy-{}.txt", std::process::id()));
    let start = Instant::now();
    let status = Command::new(cli)
        .args(["record", "-r", &RATE.to_string(), "--nonblocking", "-f", "raw", "-o"])
        .arg(&out)
        .arg("--")
        .arg(python)
        .arg(script())
        .arg(ROUNDS)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("py-spy record");
    assert!(status.success());
    let elapsed = start.elapsed();
    let folded = std::fs::read_to_string(&out).unwrap_or_default();
    let samples = folded.lines().filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok()).sum();
    let _ = std::fs::remove_file(&out);
    (elapsed, samples)
}

/// User + system CPU time of this process or of its reaped children.
fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage fills a zeroed rusage struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// What `f` returns, with the CPU time of the children it reaped and our own.
fn cpu_of<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (children, me) = (cpu(libc::RUSAGE_CHILDREN), cpu(libc::RUSAGE_SELF));
    let out = f();
    (out, cpu(libc::RUSAGE_CHILDREN) - children, cpu(libc::RUSAGE_SELF) - me)
}

fn median<T: Copy + PartialOrd>(v: &mut [T]) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("KILN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let python = interpreter();
    let cli = py_spy_cli(&python);
    let (mut base, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut base_cpu, mut our_accuracy, mut their_accuracy, mut spy_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let expected = |cpu: Duration| f64::from(RATE) * cpu.as_secs_f64();
        let (wall, script_cpu, _) = cpu_of(|| unsampled(&python));
        base.push(wall);
        base_cpu.push(script_cpu);
        let ((wall, samples), script_cpu, own_cpu) = cpu_of(|| kiln(&python));
        ours.push(wall);
        our_accuracy.push(samples as f64 / expected(script_cpu));
        spy_cpu.push(own_cpu);
        // py-spy's CPU and the script's are one `RUSAGE_CHILDREN` sum: use the bare run's.
        let ((wall, samples), _, _) = cpu_of(|| py_spy(&cli, &python));
        theirs.push(wall);
        their_accuracy.push(samples as f64 / expected(*base_cpu.last().expect("a bare run")));
    }
    let base_wall = median(&mut base);
    let pct = |d: Duration| 100.0 * (d.as_secs_f64() / base_wall.as_secs_f64() - 1.0);
    println!("python spy overhead, {runs} interleaved runs each, medians ({})", python.display());
    println!("{:44} {:>9} {:>9} {:>18}", "variant", "wall", "vs base", "samples/(rate*cpu)");
    println!("{:44} {:>8.3}s {:>9}", "unsampled", base_wall.as_secs_f64(), "");
    let (w, a) = (median(&mut ours), median(&mut our_accuracy));
    println!("{:44} {:>8.3}s {:>+8.2}% {a:>18.3}", "kiln PythonSampler 100 Hz", w.as_secs_f64(), pct(w));
    let (w, a) = (median(&mut theirs), median(&mut their_accuracy));
    println!("{:44} {:>8.3}s {:>+8.2}% {a:>18.3}", "py-spy record -r 100 --nonblocking", w.as_secs_f64(), pct(w));
    println!(
        "script CPU time {:.3}s; kiln's own CPU while sampling {:?}",
        median(&mut base_cpu).as_secs_f64(),
        median(&mut spy_cpu)
    );
}
