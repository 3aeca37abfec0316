//! `kiln adhoc` as a user runs it, on real programs: the report files, the
//! hot function's share, exit codes and signals passing through, attaching
//! with `--pid`, and the Go example where `slow` must stand out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A fresh temporary directory for one test.
fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-adhoc-{}-{n}", std::process::id()));
    // A directory left by an earlier run whose process had the same pid
    // would add its reports to this test's count.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

/// `hot_cold.c` built like a release C program without frame pointers.
fn build_hot_cold(dir: &Path) -> PathBuf {
    let exe = dir.join("hot_cold");
    let status = Command::new("gcc")
        .args(["-O2", "-fomit-frame-pointer", "-g", "-o"])
        .arg(&exe)
        // The sampler's own test program: one copy for both crates.
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-agent/tests/programs/hot_cold.c"))
        .status()
        .expect("run gcc");
    assert!(status.success());
    exe
}

/// `kiln adhoc` writing into `dir/out`, with its data directory under `dir`.
fn adhoc(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.env("XDG_DATA_HOME", dir.join("data")).arg("adhoc").arg("--output-dir").arg(dir.join("out"));
    c
}

fn run(mut command: Command) -> Output {
    let out = command.stdin(Stdio::null()).output().expect("run kiln");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The files in `dir` whose names end with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect());
    let mut v: Vec<PathBuf> = entries.unwrap_or_default();
    v.retain(|p| p.to_string_lossy().ends_with(suffix));
    v
}

/// The one folded file of a run, as `stack -> value`.
fn folded(dir: &Path) -> BTreeMap<String, i64> {
    let files = files_ending(&dir.join("out"), ".folded");
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    text.lines().filter_map(|l| l.rsplit_once(' ')).map(|(stack, v)| (stack.to_owned(), v.parse().unwrap())).collect()
}

/// Percent of all samples in stacks for which `keep` holds.
fn share(stacks: &BTreeMap<String, i64>, keep: impl Fn(&[&str]) -> bool) -> f64 {
    let total: i64 = stacks.values().sum();
    let kept: i64 = stacks.iter().filter(|(s, _)| keep(&s.split(';').collect::<Vec<_>>())).map(|(_, v)| v).sum();
    100.0 * kept as f64 / total.max(1) as f64
}

/// `frames` holds `path` as consecutive frames.
fn has_run(frames: &[&str], path: &[&str]) -> bool {
    frames.windows(path.len()).any(|w| w == path)
}

/// Parses `hot_seconds=X cold_seconds=Y` printed by hot_cold.c.
fn measured_hot_share(stdout: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(stdout);
    let value = |key: &str| -> f64 {
        let rest = text.split(key).nth(1).expect("key printed");
        rest.split_whitespace().next().and_then(|v| v.parse().ok()).expect("a number")
    };
    let (hot, cold) = (value("hot_seconds="), value("cold_seconds="));
    100.0 * hot / (hot + cold)
}

#[test]
fn c_program_without_frame_pointers_gives_main_to_hot_with_its_measured_share() {
    let dir = temp_dir();
    let exe = build_hot_cold(&dir);
    let mut c = adhoc(&dir);
    c.args(["--sample-rate", "1000", "--format", "html,folded", "--"]).arg(&exe).arg("2.0");
    let out = run(c);
    assert_eq!(out.status.code(), Some(0));
    let expected = measured_hot_share(&out.stdout);
    assert_eq!(files_ending(&dir.join("out"), ".html").len(), 1);
    let stacks = folded(&dir);
    let through_main = share(&stacks, |f| has_run(f, &["main", "run", "hot"]));
    let in_hot = share(&stacks, |f| f.contains(&"hot"));
    assert!((through_main - in_hot).abs() < 0.5, "stacks through hot must reach main: {stacks:?}");
    assert!((in_hot - expected).abs() <= 3.0, "hot: observed {in_hot:.1}% expected {expected:.1}%");
    let summary = String::from_utf8_lossy(&out.stderr);
    let top = summary.split("top functions").nth(1).expect("a top-10 summary");
    // `step` is inlined into hot and cold, so it holds their self time; kernel
    // frames, now named, may take the rest of the ten rows.
    let first = top.lines().nth(2).expect("a first row");
    assert!(first.ends_with(" step"), "{summary}");
    assert_eq!(files_ending(&dir.join("data/kiln/adhoc"), ".pb.gz").len(), 1, "the run is kept in the data dir");
    assert!(summary.contains("wrote "), "{summary}");
}

#[test]
fn spy_and_sample_rate_are_refused_where_the_sdk_or_endpoint_samples() {
    let dir = temp_dir();
    for (option, value, mode) in
        [("--spy", "python", ["--push"].as_slice()), ("--sample-rate", "250", &["--url", "http://127.0.0.1:9/"])]
    {
        let out = run({
            let mut c = adhoc(&dir);
            c.args(mode).args([option, value, "--", "true"]);
            c
        });
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{option} with {mode:?}: {stderr}");
        assert!(stderr.contains(option) && stderr.contains("cannot be used with"), "{stderr}");
    }
}

#[test]
fn child_exit_code_passes_through() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    c.args(["--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"to-stdout\n", "the child's stdout passes through");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("to-stderr\n"));
    assert_eq!(files_ending(&dir.join("out"), ".html").len(), 1, "a report is written anyway");
}

#[test]
fn child_killed_by_sigkill_gives_137() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    c.args(["--", "sh", "-c", "kill -KILL $$"]);
    assert_eq!(run(c).status.code(), Some(137));
}

#[test]
fn sigterm_to_kiln_is_forwarded_to_the_child() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    let mut kiln = c.args(["--", "sleep", "30"]).stdin(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill").args(["-TERM", &kiln.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let code = kiln.wait().unwrap().code();
    assert_eq!(code, Some(128 + 15), "sleep died of the forwarded SIGTERM");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(files_ending(&dir.join("out"), ".html").len(), 1);
}

#[test]
fn duration_stops_sampling_while_the_command_runs_to_its_end() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    c.args(["--duration", "300ms", "--", "sh", "-c", "sleep 1.5; exit 4"]);
    let started = Instant::now();
    let out = run(c);
    assert_eq!(out.status.code(), Some(4));
    assert!(started.elapsed() >= Duration::from_millis(1500), "kiln waits for the command");
    let summary = String::from_utf8_lossy(&out.stderr);
    let line = summary.lines().find(|l| l.contains("samples (")).expect("a summary line");
    let secs: f64 = line.split(" in ").nth(1).and_then(|r| r.split('s').next()).and_then(|v| v.parse().ok()).unwrap();
    assert!(secs < 1.0, "sampling stopped after --duration: {line}");
}

#[test]
fn pid_mode_samples_a_running_process_for_the_duration() {
    let dir = temp_dir();
    let exe = build_hot_cold(&dir);
    let mut target = Command::new(&exe).arg("20").stdout(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut c = adhoc(&dir);
    c.args(["--pid", &target.id().to_string(), "--duration", "2s", "--format", "folded"]);
    let started = Instant::now();
    let out = run(c);
    let took = started.elapsed();
    let still_running = target.try_wait().unwrap().is_none();
    target.kill().unwrap();
    target.wait().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(8), "took {took:?}");
    assert!(still_running, "attaching must not stop the process");
    let stacks = folded(&dir);
    let in_hot = share(&stacks, |f| has_run(f, &["main", "run", "hot"]));
    assert!(in_hot > 60.0, "hot {in_hot:.1}%: {stacks:?}");
    assert_eq!(files_ending(&dir.join("out"), ".html").len(), 1);
}

#[test]
fn go_example_shows_slow_standing_out_over_fast() {
    let dir = temp_dir();
    let exe = dir.join("primes");
    let status = Command::new("go")
        .env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join("kiln-adhoc-gocache"))
        .args(["build", "-o"])
        .arg(&exe)
        .arg(program("primes.go"))
        .status()
        .expect("run go build");
    assert!(status.success());
    let mut c = adhoc(&dir);
    c.args(["--sample-rate", "500", "--format", "folded", "--"]).arg(&exe).arg("2");
    let out = run(c);
    assert_eq!(out.status.code(), Some(0));
    let stacks = folded(&dir);
    let leaf = |name: &'static str| move |f: &[&str]| f.last() == Some(&name);
    let (slow, fast) = (share(&stacks, leaf("main.slow")), share(&stacks, leaf("main.fast")));
    assert!(slow > 50.0 && slow > 2.5 * fast, "slow {slow:.1}% fast {fast:.1}%: {stacks:?}");
    let from_runtime = share(&stacks, |f| f.contains(&"runtime.main"));
    assert!(from_runtime > 95.0, "Go stacks reach runtime.main: {stacks:?}");
    // Go links .debug_frame zlib-compressed: it must be read, or the caller
    // of every leaf function is lost to the frame-pointer fallback.
    let through_main = share(&stacks, |f| f.windows(2).any(|w| w == ["main.main", "main.slow"]));
    assert!(through_main > 40.0, "slow is called from main.main: {stacks:?}");
}

/// A script of the spies' own tests in kiln-agent: one copy for both crates.
fn spy_program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-agent/tests/programs").join(name)
}

/// hot's share of hot + cold in stacks through `caller;hot` / `caller;cold`.
fn hot_of_hot_and_cold(stacks: &BTreeMap<String, i64>, caller: &str) -> f64 {
    let hot = share(stacks, |f| has_run(f, &[caller, "hot"]));
    let cold = share(stacks, |f| has_run(f, &[caller, "cold"]));
    assert!(hot + cold > 50.0, "most samples are in hot or cold: {stacks:?}");
    100.0 * hot / (hot + cold)
}

#[test]
fn python_script_is_sampled_by_the_python_spy_with_its_measured_hot_share() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    // 400 Hz: ~800 samples, so the share's sampling error (~1.4 points)
    // stays well inside the 8-point bound (at 100 Hz it was ~2.8 points).
    c.args(["--sample-rate", "400", "--format", "folded", "--", "python3"]).arg(spy_program("hot_cold.py")).arg("2");
    let out = run(c);
    assert!(out.status.success(), "python3 must be installed");
    let measured: f64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("hot_share="))
        .and_then(|v| v.parse().ok())
        .expect("the script prints hot_share=");
    let stacks = folded(&dir);
    assert!(stacks.keys().any(|s| s.starts_with("<module>;main;hot")), "Python frames from <module>: {stacks:?}");
    let observed = hot_of_hot_and_cold(&stacks, "main");
    assert!((observed - 100.0 * measured).abs() <= 8.0, "hot: observed {observed:.1}% measured {measured:.3}");
}

#[test]
fn ruby_script_is_sampled_by_the_ruby_spy_with_hot_near_its_80_percent() {
    let dir = temp_dir();
    let mut c = adhoc(&dir);
    c.args(["--format", "folded", "--", "ruby"]).arg(spy_program("hot_cold.rb")).arg("2");
    let out = run(c);
    assert!(out.status.success(), "Debian's ruby must be installed (apt-get install ruby)");
    let stacks = folded(&dir);
    assert!(stacks.keys().any(|s| s.starts_with("<main>")), "Ruby frames from <main>: {stacks:?}");
    let observed = hot_of_hot_and_cold(&stacks, "block in work");
    assert!((observed - 80.0).abs() <= 8.0, "hot: observed {observed:.1}% of hot + cold, expected 80%");
}
