//! The native sampler collects `rate × CPU time` samples: the program's CPU
//! time (user + system, from `wait4`'s rusage) is the reference, never its
//! wall time, which on a loaded machine is longer than the CPU it got.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::build;
use kiln_agent::{spawn_paused, NativeSampler, Target};

const RATE_HZ: u32 = 100;

/// The criterion: within 5% of `rate × CPU time`. Each test runs
/// ≥ 3 s of CPU (≥ 300 samples), where the sampler's known shortfall (each
/// thread's last partial period on each CPU, and Go's short-lived runtime
/// threads) stays under 2%.
const TOLERANCE: f64 = 0.05;

/// What one sampled run yielded.
struct Measured {
    samples: u64,
    lost: u64,
    cpu: Duration,
}

impl Measured {
    fn expected(&self) -> f64 {
        self.cpu.as_secs_f64() * f64::from(RATE_HZ)
    }

    fn ratio(&self) -> f64 {
        self.samples as f64 / self.expected()
    }
}

/// Runs `exe args` from its first instruction under the sampler and reaps
/// it with `wait4`, whose rusage is the CPU time of the program and of every
/// thread and child it waited for.
fn sample_and_measure(exe: &Path, args: &[&str]) -> Measured {
    let mut command = Command::new(exe);
    command.args(args).stdout(Stdio::null());
    let paused = spawn_paused(&mut command).expect("spawn paused");
    let pid = paused.id();
    let sampler = NativeSampler::start(Target::PidTree(pid), RATE_HZ).expect("start sampler");
    let child = paused.resume().expect("resume");
    let (status, cpu) = wait_with_cpu(child);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{exe:?} failed: status {status}");
    let (profile, stats) = sampler.stop_with_stats().expect("stop sampler");
    let in_profile: i64 = profile.samples.iter().map(|s| s.values[0]).sum();
    assert_eq!(in_profile as u64, stats.samples, "the final stats count every sample of the profile");
    Measured { samples: stats.samples, lost: stats.lost, cpu }
}

/// Reaps `child`; its exit status and user + system CPU time.
fn wait_with_cpu(child: Child) -> (i32, Duration) {
    let pid = child.id();
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, pid as i32, "wait4: {}", std::io::Error::last_os_error());
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (status, tv(usage.ru_utime) + tv(usage.ru_stime))
}

fn assert_within_tolerance(what: &str, m: &Measured) {
    let ratio = m.ratio();
    assert!(
        (ratio - 1.0).abs() <= TOLERANCE,
        "{what}: {} samples for {:.3} s of CPU at {RATE_HZ} Hz (expected {:.0}, ratio {ratio:.3}, {} lost)",
        m.samples,
        m.cpu.as_secs_f64(),
        m.expected(),
        m.lost
    );
}

#[test]
fn a_go_program_gets_rate_times_its_cpu_time_in_samples() {
    let exe = common::go_build("spin.go");
    // Two goroutines until the process has used 3 s of CPU.
    let measured = sample_and_measure(&exe, &["3"]);
    assert_within_tolerance("spin.go", &measured);
}

#[test]
fn three_c_threads_get_rate_times_their_cpu_time_in_samples() {
    let exe = build("threads.c", &["-O2", "-fomit-frame-pointer", "-g", "-pthread"]);
    // Three threads on two cores, each spinning for 1 s of its own CPU time.
    let measured = sample_and_measure(&exe, &["1"]);
    assert_within_tolerance("threads.c", &measured);
}

#[test]
fn time_in_system_calls_is_sampled_too() {
    let exe = build("syscalls.c", &["-O2", "-g"]);
    // Reads from /dev/zero for 3 s of CPU, nearly all of it in the kernel.
    // Kernel-mode samples need root, CAP_PERFMON or `perf_event_paranoid` <= 1.
    let measured = sample_and_measure(&exe, &["3"]);
    assert_within_tolerance("syscalls.c (kernel-mode samples need root or perf_event_paranoid <= 1)", &measured);
}
