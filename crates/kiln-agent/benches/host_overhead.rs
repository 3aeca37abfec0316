//! CPU cost of whole-host profiling at 100 Hz per CPU with 20 busy
//! processes, beside `perf record -a -g -F 100 -e cpu-clock` over the same
//! seconds (both run at once, so they see the same load). The profiler runs
//! in this process as `kiln agent` runs it: system-wide events, DWARF
//! unwinding, a profile per process per 10 s interval, each encoded as a
//! Push API request (then dropped: no network). CPU time is this process's
//! (all threads, `/proc/self/stat`) and perf's (its rusage at exit).
//!
//! `cargo bench -p kiln-agent --bench host_overhead` (`KILN_BENCH_SECONDS`,
//! default 60; `KILN_BENCH_PROCESSES`, default 20; `KILN_BENCH_INLINE=1`
//! for `inline_frames`: DWARF for every binary). Needs root.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_agent::host::{HostOptions, HostProfiler};
use kiln_agent::upstream::encode_push;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn build() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixed_work.c");
    let exe = std::env::temp_dir().join(format!("kiln-bench-busy-{}", std::process::id()));
    let status = Command::new("gcc").args(["-O2", "-fomit-frame-pointer", "-g", "-o"]).arg(&exe).arg(&src).status();
    assert!(status.is_ok_and(|s| s.success()), "gcc failed");
    exe
}

/// utime + stime of a process, from `/proc/PID/stat`.
fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

/// Waits for `child` and returns its own CPU time (rusage).
fn wait_cpu(child: Child) -> Duration {
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32, "wait4");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() {
    let seconds = env_or("KILN_BENCH_SECONDS", 60);
    let count = env_or("KILN_BENCH_PROCESSES", 20);
    let exe = build();
    let mut busy: Vec<Child> = (0..count)
        .map(|_| Command::new(&exe).arg("100000000").stdout(Stdio::null()).spawn().expect("start a busy process"))
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let data = std::env::temp_dir().join(format!("kiln-bench-host-{}.data", std::process::id()));
    let own_before = cpu_of("self");
    let started = Instant::now();
    let inline_frames = env_or("KILN_BENCH_INLINE", 0) == 1;
    let options = HostOptions { sample_rate_hz: 100, interval: Duration::from_secs(10), inline_frames };
    let profiler = HostProfiler::start(options).expect("system-wide events (run as root)");
    let perf = Command::new("perf")
        .args(["record", "-q", "-a", "-g", "-F", "100", "-e", "cpu-clock", "-o"])
        .arg(&data)
        .args(["--", "sleep", &seconds.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("run perf record");
    let (mut profiles, mut bytes) = (0usize, 0usize);
    let mut consume = |batch: Vec<kiln_agent::host::ProcessProfile>| {
        for p in batch {
            bytes += encode_push("process_cpu", &p.labels(), &p.profile).len();
            profiles += 1;
        }
    };
    while started.elapsed() < Duration::from_secs(seconds) {
        if let Some(batch) = profiler.next_interval(Duration::from_millis(500)) {
            consume(batch);
        }
    }
    let stats = profiler.stats();
    for batch in profiler.stop().expect("stop") {
        consume(batch);
    }
    let wall = started.elapsed();
    let own = cpu_of("self") - own_before;
    let perf_cpu = wait_cpu(perf);
    for child in &mut busy {
        let _ = child.kill();
        let _ = child.wait();
    }
    let _ = std::fs::remove_file(&data);
    let _ = std::fs::remove_file(&exe);
    let pct = |d: Duration| 100.0 * d.as_secs_f64() / wall.as_secs_f64();
    println!(
        "host profiling, {count} busy processes, 100 Hz per CPU, inline_frames {inline_frames}, {:.1} s; load average at start: {}",
        wall.as_secs_f64(),
        load.trim()
    );
    println!("  kiln host profiler: {:.2} s CPU = {:.2}% of one core ({} samples, {} lost; {profiles} profiles, {bytes} bytes encoded)", own.as_secs_f64(), pct(own), stats.samples, stats.lost);
    println!("  perf record -a -g:  {:.2} s CPU = {:.2}% of one core", perf_cpu.as_secs_f64(), pct(perf_cpu));
    println!("  ratio kiln/perf: {:.2}", own.as_secs_f64() / perf_cpu.as_secs_f64().max(1e-9));
}
