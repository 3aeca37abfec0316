//! The native sampler follows threads and forked children, demangles C++,
//! attaches to running processes and survives targets that die.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{build, folded, profile_run, samples_where, top, total};
use kiln_agent::{Error, NativeSampler, Target};

fn share_of(stacks: &std::collections::BTreeMap<String, i64>, name: &str) -> f64 {
    samples_where(stacks, |f| f.contains(&name)) as f64 / total(stacks).max(1) as f64
}

#[test]
fn samples_come_from_every_thread() {
    let exe = build("threads.c", &["-O2", "-fomit-frame-pointer", "-g", "-pthread"]);
    let (profile, output) = profile_run(&exe, &["0.6"], 200);
    assert!(output.status.success());
    let stacks = folded(&profile);
    for worker in ["worker_alpha", "worker_beta", "worker_gamma"] {
        assert!(share_of(&stacks, worker) > 0.2, "{worker} missing:\n{}", top(&stacks));
    }
    let threads: std::collections::BTreeSet<_> =
        profile.samples.iter().filter_map(|s| profile.label_str(s, "thread_name")).collect();
    assert!(threads.contains("threads"), "thread names: {threads:?}");
}

#[test]
fn samples_come_from_a_forked_child() {
    let exe = build("forks.c", &["-O2", "-fomit-frame-pointer", "-g"]);
    let (profile, output) = profile_run(&exe, &["0.6"], 200);
    assert!(output.status.success());
    let stacks = folded(&profile);
    assert!(share_of(&stacks, "child_work") > 0.3, "child missing:\n{}", top(&stacks));
    assert!(share_of(&stacks, "parent_work") > 0.3, "parent missing:\n{}", top(&stacks));
    let pids: std::collections::BTreeSet<i64> = profile
        .samples
        .iter()
        .flat_map(|s| s.labels.iter().filter(|l| profile.str(l.key) == "pid").map(|l| l.num))
        .collect();
    assert_eq!(pids.len(), 2, "two processes sampled");
}

#[test]
fn cpp_functions_are_demangled_as_perf_prints_them_without_parameters() {
    let exe = build("templates.cpp", &["-O2", "-g"]);
    let (profile, _) = profile_run(&exe, &["0.5"], 200);
    let stacks = folded(&profile);
    let spin = samples_where(&stacks, |f| {
        f.iter().any(|name| name.starts_with("kiln_test::Spinner<unsigned long>::spin"))
            && f.contains(&"kiln_test::busy")
    });
    assert!(spin * 2 > total(&stacks), "demangled names expected:\n{}", top(&stacks));
    assert!(!stacks.keys().any(|s| s.contains("_ZN9kiln_test")), "mangled name left:\n{}", top(&stacks));
}

#[test]
fn attaches_to_an_already_running_process() {
    let exe = build("threads.c", &["-O2", "-fomit-frame-pointer", "-g", "-pthread"]);
    let mut child = Command::new(&exe).arg("3").stdout(Stdio::null()).spawn().expect("spawn");
    std::thread::sleep(Duration::from_millis(300));
    let sampler = NativeSampler::start(Target::Pid(child.id()), 200).expect("attach");
    std::thread::sleep(Duration::from_millis(700));
    let profile = sampler.stop().expect("stop");
    child.kill().expect("kill");
    child.wait().expect("reap");
    let stacks = folded(&profile);
    for worker in ["worker_alpha", "worker_beta", "worker_gamma"] {
        assert!(share_of(&stacks, worker) > 0.2, "{worker} missing after attach:\n{}", top(&stacks));
    }
}

#[test]
fn a_killed_target_still_yields_its_samples_without_hanging() {
    let exe = build("hot_cold.c", &["-O2", "-g"]);
    let mut command = Command::new(&exe);
    command.arg("30").stdout(Stdio::null());
    let paused = kiln_agent::spawn_paused(&mut command).expect("spawn");
    let sampler = NativeSampler::start(Target::PidTree(paused.id()), 200).expect("start");
    let mut child = paused.resume().expect("resume");
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill");
    child.wait().expect("reap");
    std::thread::sleep(Duration::from_millis(200));
    assert!(sampler.stats().samples > 0, "live stats count samples: {:?}", sampler.stats());
    let stopping = Instant::now();
    let profile = sampler.stop().expect("stop");
    // A bound that only a hang can break, not a busy machine.
    assert!(stopping.elapsed() < Duration::from_secs(30), "stop took {:?}", stopping.elapsed());
    let stacks = folded(&profile);
    assert!(share_of(&stacks, "hot") > 0.5, "samples before the kill:\n{}", top(&stacks));
}

#[test]
fn a_target_that_exits_at_once_gives_an_empty_profile() {
    let (profile, output) = profile_run(std::path::Path::new("/bin/true"), &[], 100);
    assert!(output.status.success());
    assert!(total(&folded(&profile)) <= 2, "almost no CPU time, almost no samples");
}

#[test]
fn attaching_to_a_missing_process_is_an_error() {
    let mut child = Command::new("/bin/true").spawn().expect("spawn");
    let pid = child.id();
    child.wait().expect("reap");
    match NativeSampler::start(Target::Pid(pid), 100) {
        Err(Error::NoSuchProcess(p)) => assert_eq!(p, pid),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a reaped pid cannot be sampled"),
    }
}
