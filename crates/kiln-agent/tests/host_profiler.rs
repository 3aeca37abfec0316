//! The whole-host profiler (system-wide `perf_event`, one event per CPU):
//! three unrelated programs, in C, Go and Rust, started after it, each
//! appear as their own process (name, pid, cgroup) with their own hot
//! function, named through DWARF unwinding and symbolisation per binary.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::perf_compare::self_shares;
use common::{build, build_rust, go_build};
use kiln_agent::host::{HostOptions, HostProfiler, ProcessProfile};

/// A copy of `exe` named `name`: the process name (`comm`) the test looks for.
fn renamed(exe: PathBuf, name: &str) -> PathBuf {
    let to = exe.with_file_name(name);
    std::fs::rename(&exe, &to).expect("rename the program");
    to
}

/// Kills the child if the test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(exe: &Path, arg: &str) -> Running {
    Running(Command::new(exe).arg(arg).stdout(Stdio::null()).spawn().expect("start a program"))
}

/// Samples per function at the leaf, summed over every interval of `pid`.
fn leaf_counts(intervals: &[Vec<ProcessProfile>], pid: u32) -> BTreeMap<String, f64> {
    let mut counts = BTreeMap::new();
    for p in intervals.iter().flatten().filter(|p| p.pid == pid) {
        let samples = p.profile.samples.iter().map(|s| s.values[0]).sum::<i64>() as f64;
        for (name, share) in self_shares(&p.profile) {
            *counts.entry(name).or_insert(0.0) += share * samples / 100.0;
        }
    }
    counts
}

#[test]
fn c_go_and_rust_programs_started_later_are_profiled_as_their_own_processes_with_their_hot_functions() {
    let c = renamed(build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-g"]), "kiln_host_c");
    let go = renamed(go_build("spin.go"), "kiln_host_go");
    let rust = renamed(build_rust("inlined_hot.rs"), "kiln_host_rs");
    let options = HostOptions { sample_rate_hz: 200, interval: Duration::from_secs(1), ..HostOptions::default() };
    let profiler = HostProfiler::start(options).expect("system-wide perf_event_open (run as root)");
    let mut children = [start(&c, "1.5"), start(&go, "1.5"), start(&rust, "4")];
    let pids: Vec<u32> = children.iter().map(|c| c.0.id()).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut intervals = Vec::new();
    for child in &mut children {
        while child.0.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "the programs did not finish in 60 s");
            intervals.extend(profiler.next_interval(Duration::from_millis(200)));
        }
    }
    let stats = profiler.stats();
    intervals.extend(profiler.stop().expect("stop the host profiler"));

    let expected =
        [("kiln_host_c", "hot"), ("kiln_host_go", "main.mix"), ("kiln_host_rs", "inlined_hot::table::Table::child")];
    for ((name, hot), pid) in expected.into_iter().zip(pids) {
        let mine: Vec<&ProcessProfile> = intervals.iter().flatten().filter(|p| p.pid == pid).collect();
        assert!(!mine.is_empty(), "no profile for {name} (pid {pid})");
        for p in &mine {
            let labels = p.labels();
            assert!(labels.contains(&("process_name".into(), name.into())), "{name}: {labels:?}");
            assert!(labels.contains(&("pid".into(), pid.to_string())), "{name}: {labels:?}");
            assert!(labels.iter().any(|(k, v)| k == "cgroup" && v.starts_with('/')), "{name}: {labels:?}");
        }
        let counts = leaf_counts(&intervals, pid);
        let total: f64 = counts.values().sum();
        let top = counts.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(n, _)| n.as_str());
        assert_eq!(top, Some(hot), "{name}'s hottest function ({total:.0} samples): {counts:?}");
        assert!(total >= 20.0, "{name}: only {total:.0} samples ({stats:?})");
    }
}
