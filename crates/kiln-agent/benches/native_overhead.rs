//! Wall-time overhead of the native sampler at 100 Hz on a CPU-bound C
//! program, against the same program unsampled and under `perf record -F 100`
//! (`-g` frame pointers, and `--call-graph dwarf` which copies stacks as we
//! do). Runs are interleaved so machine noise hits every variant alike.
//!
//! `cargo bench -p kiln-agent --bench native_overhead` (`KILN_BENCH_RUNS`,
//! default 7; `KILN_BENCH_ROUNDS`, the program's work, default 1200 rounds,
//! about 1.25 s of CPU: kiln's fixed setup weighs more in a shorter run).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln_agent::{spawn_paused, NativeSampler, Target};

thread_local! {
    /// Time from spawn to the resumed child, per kiln run.
    static SETUP: std::cell::RefCell<Vec<Duration>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The program's work in rounds (`KILN_BENCH_ROUNDS`).
fn rounds() -> String {
    std::env::var("KILN_BENCH_ROUNDS").unwrap_or_else(|_| "1200".to_owned())
}

fn build() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixed_work.c");
    let exe = std::env::temp_dir().join(format!("kiln-bench-fixed-work-{}", std::process::id()));
    let status = Command::new("gcc").args(["-O2", "-fomit-frame-pointer", "-g", "-o"]).arg(&exe).arg(&src).status();
    assert!(status.is_ok_and(|s| s.success()), "gcc failed");
    exe
}

fn unsampled(exe: &Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(exe).arg(rounds()).stdout(Stdio::null()).status().expect("run");
    assert!(status.success());
    start.elapsed()
}

/// Wall time until the program exits, and until the profile is built.
fn kiln(exe: &Path) -> (Duration, Duration, u64) {
    let start = Instant::now();
    let mut command = Command::new(exe);
    command.arg(rounds()).stdout(Stdio::null());
    let paused = spawn_paused(&mut command).expect("spawn");
    let sampler = NativeSampler::start(Target::PidTree(paused.id()), 100).expect("sampler");
    SETUP.with(|s| s.borrow_mut().push(start.elapsed()));
    let status = paused.resume().expect("resume").wait().expect("wait");
    assert!(status.success());
    let exited = start.elapsed();
    let (profile, stats) = sampler.stop_with_stats().expect("stop");
    assert!(!profile.samples.is_empty());
    (exited, start.elapsed(), stats.samples)
}

fn perf(exe: &Path, call_graph: &[&str]) -> Duration {
    let out = std::env::temp_dir().join(format!("kiln-bench-{}.data", std::process::id()));
    let start = Instant::now();
    let status = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", "100"])
        .args(call_graph)
        .arg("-o")
        .arg(&out)
        .arg("--")
        .arg(exe)
        .arg(rounds())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("perf record");
    assert!(status.success());
    let elapsed = start.elapsed();
    let _ = std::fs::remove_file(&out);
    elapsed
}

/// User + system CPU time of this process (`RUSAGE_SELF`, the sampler's
/// reader thread and symbolization) or of its reaped children.
fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage fills a zeroed rusage struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time spent by `f`: the target, perf, and our own threads together.
fn cpu_of<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let before = cpu(libc::RUSAGE_SELF) + cpu(libc::RUSAGE_CHILDREN);
    let out = f();
    (out, cpu(libc::RUSAGE_SELF) + cpu(libc::RUSAGE_CHILDREN) - before)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("KILN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    let exe = build();
    let mut wall: [Vec<Duration>; 5] = Default::default();
    let mut cpus: [Vec<Duration>; 5] = Default::default();
    let mut samples = 0;
    for _ in 0..runs {
        let (base, c0) = cpu_of(|| unsampled(&exe));
        let ((exited, total, n), c1) = cpu_of(|| kiln(&exe));
        let (fp, c3) = cpu_of(|| perf(&exe, &["-g"]));
        let (dwarf, c4) = cpu_of(|| perf(&exe, &["--call-graph", "dwarf"]));
        for (i, (w, c)) in [(base, c0), (exited, c1), (total, c1), (fp, c3), (dwarf, c4)].into_iter().enumerate() {
            wall[i].push(w);
            cpus[i].push(c);
        }
        samples = n;
    }
    let names = [
        "unsampled",
        "kiln 100 Hz, until the program exits",
        "kiln 100 Hz, incl. stop + symbolization",
        "perf record -F 100 -g",
        "perf record -F 100 --call-graph dwarf",
    ];
    let (base_wall, base_cpu) = (median(&mut wall[0]), median(&mut cpus[0]));
    let pct = |d: Duration, b: Duration| 100.0 * (d.as_secs_f64() / b.as_secs_f64() - 1.0);
    println!("native sampler overhead, {runs} interleaved runs each, medians");
    println!("{:42} {:>10} {:>9} {:>10} {:>9}", "variant", "wall", "vs base", "cpu", "vs base");
    for i in 0..5 {
        let (w, c) = (median(&mut wall[i]), median(&mut cpus[i]));
        let (wp, cp) = (pct(w, base_wall), pct(c, base_cpu));
        println!("{:42} {:>9.3}s {wp:>+8.2}% {:>9.3}s {cp:>+8.2}%", names[i], w.as_secs_f64(), c.as_secs_f64());
    }
    let mut setup = SETUP.with(|s| s.borrow().clone());
    println!("kiln setup (spawn, attach)        {:?}", median(&mut setup));
    println!("kiln samples in the last run: {samples} (expected about {:.0})", base_cpu.as_secs_f64() * 100.0);
    let _ = std::fs::remove_file(&exe);
}
