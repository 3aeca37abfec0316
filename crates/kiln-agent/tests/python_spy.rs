//! The Python spy on real CPython: the hot function's share, threads and
//! child processes, attaching by pid, short and failing scripts, and a
//! target that is not Python.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{folded, has_run, samples_where, top, total};
use kiln_agent::{spawn_paused, Error, PythonSampler, Target};
use kiln_model::{Profile, Tree};

/// The interpreter: `$KILN_TEST_PYTHON`, else `python3` on the PATH.
fn python() -> String {
    let python = std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let works = Command::new(&python).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(works, "`{python}` does not run: install CPython 3 (apt-get install python3) or set KILN_TEST_PYTHON");
    python
}

fn program(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

/// Serializes the tests that burn CPU: on a small machine, tests running
/// side by side starve each other, and py-spy's non-blocking reads of a
/// starved target misattribute more time to callers (see the sampler docs).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `python program args` from its `exec` to its exit under the spy.
fn profile_run(name: &str, args: &[&str], rate_hz: u32) -> (Profile, Output) {
    let _one = exclusive();
    let mut command = Command::new(python());
    command.arg(program(name)).args(args).stdout(Stdio::piped());
    let paused = spawn_paused(&mut command).expect("spawn paused");
    let sampler = PythonSampler::start(Target::PidTree(paused.id()), rate_hz).expect("start the Python spy");
    let child = paused.resume().expect("resume");
    let output = child.wait_with_output().expect("wait for the script");
    let profile = sampler.stop().expect("stop the Python spy");
    (profile, output)
}

fn share_of(stacks: &BTreeMap<String, i64>, name: &str) -> f64 {
    samples_where(stacks, |f| f.contains(&name)) as f64 / total(stacks).max(1) as f64
}

/// `key=value` printed by a script.
fn printed(output: &Output, key: &str) -> String {
    let text = String::from_utf8_lossy(&output.stdout);
    let prefix = format!("{key}=");
    let line = text.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_owned));
    line.unwrap_or_else(|| panic!("the script printed no {key}=: {text}"))
}

/// Folded stacks of the samples whose label `key` is the string or number `value`.
fn folded_where(profile: &Profile, key: &str, value: &str) -> BTreeMap<String, i64> {
    let mut only = profile.clone();
    only.samples.retain(|s| {
        s.labels.iter().any(|l| {
            profile.str(l.key) == key && (profile.str(l.str) == value || (l.str == 0 && l.num.to_string() == value))
        })
    });
    Tree::from_profile(&only, 0).folded_map()
}

#[test]
fn python_hot_function_dominates_the_profile() {
    let (profile, output) = profile_run("hot_cold.py", &["2"], 400);
    assert!(output.status.success());
    let measured: f64 = printed(&output, "hot_share").parse().expect("a fraction");
    assert!((0.7..0.9).contains(&measured), "the script itself should spend ~80% in hot, measured {measured}");
    let stacks = folded(&profile);
    let hot = samples_where(&stacks, |f| f.starts_with(&["<module>", "main", "hot"])) as f64;
    let cold = samples_where(&stacks, |f| f.starts_with(&["<module>", "main", "cold"])) as f64;
    let share = hot / (hot + cold);
    assert!((share - measured).abs() <= 0.05, "hot: {share:.3} of hot+cold, {measured:.3} measured:\n{}", top(&stacks));
    // main itself only times the rounds (see hot_cold.py for why it makes
    // no system call there); a read racing a call or return may still
    // catch it between frames.
    let main_self = stacks.get("<module>;main").copied().unwrap_or(0) as f64;
    assert!(main_self < 0.1 * (hot + cold + main_self), "main itself does ~nothing:\n{}", top(&stacks));
    let anywhere = samples_where(&stacks, |f| f.contains(&"hot")) as f64;
    assert!(anywhere <= hot + 2.0, "hot's stacks should start <module>;main;hot:\n{}", top(&stacks));
}

#[test]
fn samples_match_the_rate_times_the_cpu_time_used() {
    let (profile, output) = profile_run("hot_cold.py", &["1.5"], 200);
    let cpu: f64 = printed(&output, "main_cpu").parse().expect("seconds");
    let stacks = folded(&profile);
    let in_main = samples_where(&stacks, |f| f.starts_with(&["<module>", "main"])) as f64;
    let ratio = in_main / (200.0 * cpu);
    assert!((ratio - 1.0).abs() <= 0.05, "{in_main} samples for {cpu:.3} s of CPU at 200 Hz: {ratio:.3}");
}

#[test]
fn frames_carry_the_script_file_and_lines() {
    let (profile, _) = profile_run("hot_cold.py", &["0.5"], 200);
    let hot_lines: BTreeSet<(String, i64)> = profile
        .locations
        .iter()
        .flat_map(|l| &l.lines)
        .filter(|line| profile.str(profile.functions[line.function as usize].name) == "hot")
        .map(|line| (profile.str(profile.functions[line.function as usize].filename).to_owned(), line.line))
        .collect();
    assert!(!hot_lines.is_empty(), "no frame of hot");
    for (file, line) in &hot_lines {
        assert!(file.ends_with("tests/programs/hot_cold.py"), "file name {file}");
        assert!((10..=14).contains(line), "hot spans lines 10-14 of hot_cold.py, got {line}");
    }
    assert_eq!(profile.str(profile.sample_types[1].unit), "nanoseconds");
    assert_eq!(profile.period, 5_000_000);
}

#[test]
fn threads_and_child_processes_are_sampled_under_their_own_labels() {
    // Each of the four burns 0.6 s of its own CPU: 120 samples at 200 Hz.
    let (profile, output) = profile_run("family.py", &["0.6"], 200);
    assert!(output.status.success());
    let (sub, forked) = (printed(&output, "subprocess"), printed(&output, "forked"));
    let main_thread = folded_where(&profile, "thread_name", "MainThread");
    let main_work = samples_where(&main_thread, |f| has_run(f, &["main_work", "burn"]));
    assert!(main_work > 90, "main thread: {main_work}:\n{}", top(&main_thread));
    let all = folded(&profile);
    let thread = samples_where(&all, |f| has_run(f, &["thread_work", "burn"]));
    let thread_in_main = samples_where(&main_thread, |f| f.contains(&"thread_work"));
    assert!(thread > 90 && thread_in_main == 0, "the second thread under its own name:\n{}", top(&all));
    for (pid, work) in [(&sub, "sub_work"), (&forked, "fork_work")] {
        let child = folded_where(&profile, "pid", pid);
        let n = samples_where(&child, |f| f.first() == Some(&"<module>") && has_run(f, &[work, "burn"]));
        // Up to one discovery period (200 ms) may pass before a child is found.
        assert!(n > 50, "{work} in pid {pid}: {n} samples from <module>:\n{}", top(&child));
    }
    let pids: BTreeSet<i64> = profile
        .samples
        .iter()
        .flat_map(|s| s.labels.iter().filter(|l| profile.str(l.key) == "pid").map(|l| l.num))
        .collect();
    assert_eq!(pids.len(), 3, "parent, subprocess and forked child: {pids:?}");
}

/// User + system CPU time of a process, from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = text[text.rfind(')').expect(")") + 1..].split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

#[test]
fn attaches_to_a_running_python_process_by_pid() {
    let _one = exclusive();
    let mut child = Command::new(python())
        .arg(program("spin_forever.py"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the script");
    let mut ready = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut ready).expect("read");
    assert_eq!(ready.trim(), "ready");
    let cpu_before = cpu_seconds(child.id());
    let sampler = PythonSampler::start(Target::Pid(child.id()), 200).expect("attach");
    std::thread::sleep(Duration::from_millis(800));
    let stats = sampler.stats();
    let cpu = cpu_seconds(child.id()) - cpu_before;
    let profile = sampler.stop().expect("stop");
    child.kill().expect("kill");
    child.wait().expect("reap");
    let stacks = folded(&profile);
    assert!(share_of(&stacks, "busy") > 0.9, "busy after attach:\n{}", top(&stacks));
    assert!(samples_where(&stacks, |f| f == ["<module>", "busy"]) > 0, "<module>;busy:\n{}", top(&stacks));
    let expected = 200.0 * cpu;
    let n = stats.samples as f64;
    assert!(n >= 0.5 * expected && n <= 1.1 * expected + 3.0, "{n} samples for {cpu:.2} s of CPU at 200 Hz");
}

#[test]
fn a_short_failing_script_is_seen_from_its_first_line_and_stop_still_works() {
    let started = Instant::now();
    let (profile, output) = profile_run("starts_hot.py", &["3"], 200);
    assert_eq!(output.status.code(), Some(3));
    let stacks = folded(&profile);
    let first = samples_where(&stacks, |f| f == ["<module>", "first_burst", "spin"]);
    assert!(first >= 20, "first_burst runs 0.15 s of CPU at the start, ~30 samples:\n{}", top(&stacks));
    assert!(samples_where(&stacks, |f| f.contains(&"second")) >= 20, "second:\n{}", top(&stacks));
    assert!(started.elapsed() < Duration::from_secs(5), "stop should not wait: {:?}", started.elapsed());
}

#[test]
fn a_script_that_exits_at_once_gives_an_empty_or_tiny_profile() {
    let mut command = Command::new(python());
    command.args(["-c", "import sys; sys.exit(7)"]);
    let paused = spawn_paused(&mut command).expect("spawn paused");
    let sampler = PythonSampler::start(Target::PidTree(paused.id()), 100).expect("start");
    let status = paused.resume().expect("resume").wait().expect("wait");
    assert_eq!(status.code(), Some(7));
    let profile = sampler.stop().expect("a Python process that exited early is not an error");
    assert!(total(&folded(&profile)) < 10);
}

#[test]
fn a_process_that_is_not_python_is_refused() {
    let mut child = Command::new("sleep").arg("5").spawn().expect("start sleep");
    std::thread::sleep(Duration::from_millis(100));
    let result = PythonSampler::start(Target::Pid(child.id()), 100);
    child.kill().expect("kill");
    child.wait().expect("reap");
    match result {
        Err(Error::NotPython { pid, reason }) => {
            assert_eq!(pid, child.id());
            assert!(reason.contains("interpreter"), "{reason}");
        }
        Err(other) => panic!("expected NotPython, got {other}"),
        Ok(_) => panic!("sleep was accepted as a Python process"),
    }
}

#[test]
fn a_command_that_never_runs_python_fails_at_stop() {
    let mut command = Command::new("sleep");
    command.arg("0.3");
    let paused = spawn_paused(&mut command).expect("spawn paused");
    let sampler = PythonSampler::start(Target::PidTree(paused.id()), 100).expect("start on a paused command");
    paused.resume().expect("resume").wait().expect("wait");
    let err = sampler.stop().expect_err("no Python process ran");
    assert!(err.to_string().contains("is not a Python process"), "{err}");
}

#[test]
fn threads_beyond_the_soft_open_file_limit_are_still_paid() {
    // Each thread's schedstat stays open while the spy watches it: with a
    // soft limit of 64 descriptors, 70 threads need the limit raised.
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain get/setrlimit on a valid struct; this test runs in its
    // own process under nextest.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        assert!(limit.rlim_max > 256, "the hard open-file limit is {}", limit.rlim_max);
        limit.rlim_cur = 64;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    let (profile, output) = profile_run("many_threads.py", &["70", "0.03"], 200);
    assert!(output.status.success());
    let in_burn = |sample: &kiln_model::Sample| {
        let mut found = false;
        profile.for_each_frame_root_first(sample, |frame| found |= frame == "burn");
        found
    };
    let paid: BTreeSet<&str> =
        profile.samples.iter().filter(|s| in_burn(s)).filter_map(|s| profile.label_str(s, "thread_name")).collect();
    assert!(paid.len() >= 66, "{} of 70 threads have samples in burn: {paid:?}", paid.len());
}
