//! Samples collected against `rate × CPU time` at 100 Hz, for Kiln's native
//! sampler and for `perf record -e cpu-clock -F 100 -g` on the same programs
//! in the same run: a single-threaded C program, a Go program (two
//! goroutines) and a C program with three threads on the machine's cores.
//! CPU time is user + system from `wait4`'s rusage of the program itself.
//!
//! `cargo bench -p kiln-agent --bench sample_accuracy` (`KILN_BENCH_RUNS`,
//! default 3). Needs gcc, Debian's `golang-go` and `perf`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kiln_agent::{spawn_paused, NativeSampler, Target};

const RATE_HZ: u32 = 100;
/// When set, this binary only runs the command after it and writes its own
/// pid and the command's CPU seconds to the file named here (perf's runs).
const WRAP_ENV: &str = "KILN_BENCH_CPU_FILE";

struct Program {
    name: &'static str,
    exe: PathBuf,
    args: &'static [&'static str],
}

/// Samples and CPU time of one run.
struct Run {
    samples: u64,
    cpu: Duration,
}

impl Run {
    fn ratio(&self) -> f64 {
        self.samples as f64 / (self.cpu.as_secs_f64() * f64::from(RATE_HZ))
    }
}

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn build(dir: &Path, source: &str, tool: &str, args: &[&str]) -> PathBuf {
    let exe = dir.join(Path::new(source).file_stem().expect("file name"));
    let mut command = Command::new(tool);
    if tool == "go" {
        command.env("GO111MODULE", "off").env("GOCACHE", dir.join("gocache")).args(["build", "-o"]);
    } else {
        command.args(args).arg("-o");
    }
    let status = command.arg(&exe).arg(manifest(source)).status();
    assert!(status.is_ok_and(|s| s.success()), "{tool} failed on {source} (is it installed?)");
    exe
}

fn programs(dir: &Path) -> Vec<Program> {
    let c = ["-O2", "-fomit-frame-pointer", "-g", "-pthread"];
    vec![
        Program {
            name: "C, one thread (fixed_work.c)",
            exe: build(dir, "benches/fixed_work.c", "gcc", &c),
            args: &["1500"],
        },
        Program {
            name: "Go, two goroutines (spin.go)",
            exe: build(dir, "tests/programs/spin.go", "go", &[]),
            args: &["3"],
        },
        Program {
            name: "C, three threads (threads.c)",
            exe: build(dir, "tests/programs/threads.c", "gcc", &c),
            args: &["1"],
        },
    ]
}

/// Reaps `child`: its user + system CPU time, including the threads and
/// children it waited for.
fn wait_cpu(child: Child) -> Duration {
    let pid = child.id() as i32;
    let mut status = 0;
    // SAFETY: wait4 fills a zeroed rusage for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert!(r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the program failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn kiln(p: &Program) -> Run {
    let mut command = Command::new(&p.exe);
    command.args(p.args).stdout(Stdio::null());
    let paused = spawn_paused(&mut command).expect("spawn");
    let pid = paused.id();
    let sampler = NativeSampler::start(Target::PidTree(pid), RATE_HZ).expect("sampler");
    let cpu = wait_cpu(paused.resume().expect("resume"));
    let (_, stats) = sampler.stop_with_stats().expect("stop");
    Run { samples: stats.samples, cpu }
}

/// `perf record` runs this binary as a wrapper around the program, which
/// reports the program's CPU time; the wrapper's own samples are not counted.
fn perf(p: &Program, dir: &Path) -> Run {
    let (data, cpu_file) = (dir.join("perf.data"), dir.join("cpu"));
    let status = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", "100", "-g", "-o"])
        .arg(&data)
        .arg("--")
        .arg(std::env::current_exe().expect("own path"))
        .arg(&p.exe)
        .args(p.args)
        .env(WRAP_ENV, &cpu_file)
        .stdout(Stdio::null())
        .status();
    assert!(status.is_ok_and(|s| s.success()), "perf record failed (install `linux-perf`)");
    let text = std::fs::read_to_string(&cpu_file).expect("wrapper output");
    let (wrapper, seconds) = text.trim().split_once(' ').expect("pid and seconds");
    let script = Command::new("perf").args(["script", "-F", "pid", "-i"]).arg(&data).output().expect("perf script");
    let pids = String::from_utf8_lossy(&script.stdout);
    let samples = pids.lines().filter(|l| !l.trim().is_empty() && l.trim() != wrapper).count() as u64;
    Run { samples, cpu: Duration::from_secs_f64(seconds.parse().expect("seconds")) }
}

/// The wrapper mode: run `args`, write `own-pid cpu-seconds` to `out`.
fn wrap(out: &str, args: &[String]) {
    let child = Command::new(&args[0]).args(&args[1..]).stdout(Stdio::null()).spawn().expect("spawn");
    let cpu = wait_cpu(child);
    std::fs::write(out, format!("{} {}", std::process::id(), cpu.as_secs_f64())).expect("write cpu file");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Ok(out) = std::env::var(WRAP_ENV) {
        return wrap(&out, &args);
    }
    let runs: usize = std::env::var("KILN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let dir = std::env::temp_dir().join(format!("kiln-bench-accuracy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("samples against rate x CPU time at {RATE_HZ} Hz, {runs} interleaved runs per program");
    println!(
        "{:30} {:>6} {:>8} {:>8} {:>7} | {:>8} {:>8} {:>7}",
        "program", "run", "rate*cpu", "kiln", "ratio", "rate*cpu", "perf", "ratio"
    );
    for p in programs(&dir) {
        let (mut kr, mut pr) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            let (k, f) = (kiln(&p), perf(&p, &dir));
            let hz = f64::from(RATE_HZ);
            let (ks, fs) = (k.cpu.as_secs_f64() * hz, f.cpu.as_secs_f64() * hz);
            println!(
                "{:30} {run:>6} {ks:>8.0} {:>8} {:>7.3} | {fs:>8.0} {:>8} {:>7.3}",
                p.name,
                k.samples,
                k.ratio(),
                f.samples,
                f.ratio()
            );
            kr.push(k.ratio());
            pr.push(f.ratio());
        }
        println!(
            "{:30} {:>6} {:>8} {:>8} {:>7.3} | {:>8} {:>8} {:>7.3}",
            p.name,
            "median",
            "",
            "",
            median(kr),
            "",
            "",
            median(pr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
