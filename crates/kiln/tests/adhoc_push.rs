//! `kiln adhoc --push`: the command gets a local ingest endpoint in
//! `PYROSCOPE_SERVER_ADDRESS` / `PYROSCOPE_ADHOC_SERVER_ADDRESS`, and what
//! it pushes there (the real `@pyroscope/nodejs` SDK, a plain HTTP client on
//! legacy `/ingest`) becomes the reports, one per application and profile.

mod adhoc_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use adhoc_support::{adhoc, entries_ending, folded, names, program, run, share, temp_dir};

/// `crates/kiln-server/tests/sdk/node`, whose locked `node_modules` hold
/// `@pyroscope/nodejs`; installed with `npm ci` if missing.
fn node_modules() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-server/tests/sdk/node");
    if !dir.join("node_modules/@pyroscope/nodejs/package.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("run npm (install Debian's nodejs and npm: apt-get install nodejs npm)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    dir.join("node_modules")
}

/// `kiln adhoc --push --format folded -- node push_node.js 3 [heap]`.
fn push_node(dir: &Path, heap: bool) -> std::process::Output {
    let mut c = adhoc(dir);
    c.env("NODE_PATH", node_modules()).args(["--push", "--format", "folded", "--", "node"]);
    c.arg(program("push_node.js")).arg("3");
    if heap {
        c.arg("heap");
    }
    run(c)
}

fn frame_named(name: &'static str) -> impl Fn(&str) -> bool {
    // The Node SDK names frames `file:function:line`.
    move |frame| frame.split(':').any(|part| part == name)
}

#[test]
fn node_sdk_cpu_profile_pushed_to_kiln_shows_the_hot_function_dominating() {
    let dir = temp_dir("push");
    let out = push_node(&dir, false);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("pushed to http://127.0.0.1:"), "the app saw kiln's address: {stdout}");
    let html = entries_ending(&dir.join("out"), ".html");
    assert_eq!(html.len(), 1, "one application, one profile: one report, no directory");
    let report = std::fs::read_to_string(&html[0]).unwrap();
    assert!(report.contains("burnCpuInKilnPush"), "the flame graph names the hot function");
    let stacks = folded(&entries_ending(&dir.join("out"), ".folded")[0]);
    let hot = share(&stacks, frame_named("burnCpuInKilnPush"));
    assert!(hot > 60.0, "burnCpuInKilnPush {hot:.1}%: {stacks:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("top functions by self time"));
    assert_eq!(entries_ending(&dir.join("data/kiln/adhoc"), ".pb.gz").len(), 1, "the run is kept in the data dir");
}

#[test]
fn node_sdk_pushing_cpu_and_heap_gives_a_directory_with_one_report_per_profile() {
    let dir = temp_dir("push");
    let out = push_node(&dir, true);
    assert_eq!(out.status.code(), Some(0));
    let top = names(&dir.join("out"));
    assert!(top.len() == 1 && top[0].starts_with("kiln-push-node-"), "one directory named after the app: {top:?}");
    let run_dir = dir.join("out").join(&top[0]);
    let expected = ["memory.folded", "memory.html", "wall.folded", "wall.html"].map(|f| format!("kiln-push-node.{f}"));
    assert_eq!(names(&run_dir), expected);
    let cpu = folded(&run_dir.join("kiln-push-node.wall.folded"));
    let hot = share(&cpu, frame_named("burnCpuInKilnPush"));
    assert!(hot > 60.0, "burnCpuInKilnPush {hot:.1}% of CPU: {cpu:?}");
    let heap = folded(&run_dir.join("kiln-push-node.memory.folded"));
    let kept = share(&heap, frame_named("allocateInKilnPush"));
    assert!(kept > 50.0, "allocateInKilnPush {kept:.1}% of the heap: {heap:?}");
    assert_eq!(entries_ending(&dir.join("data/kiln/adhoc"), ".pb.gz").len(), 2, "each profile is kept");
}

#[test]
fn plain_http_client_finds_both_addresses_and_legacy_ingest_keeps_exact_values() {
    let dir = temp_dir("push");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-model/tests/fixtures/go");
    let mut c = adhoc(&dir);
    c.args(["--push", "--format", "folded", "--", "python3"]).arg(program("push_ingest.py"));
    c.arg(fixtures.join("cpu.pb.gz")).arg("3");
    let out = run(c);
    assert_eq!(out.status.code(), Some(3), "the command's exit code passes through");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("address http://127.0.0.1:") && stdout.contains("statuses 200 200"), "{stdout}");
    let top = names(&dir.join("out"));
    assert!(top.len() == 1 && top[0].starts_with("kiln-adhoc-"), "two applications: one directory {top:?}");
    let run_dir = dir.join("out").join(&top[0]);
    let expected = ["goapp.process_cpu.folded", "goapp.process_cpu.html", "pyapp.process_cpu.folded"];
    assert_eq!(names(&run_dir), [&expected[..], &["pyapp.process_cpu.html"]].concat());
    let py = folded(&run_dir.join("pyapp.process_cpu.folded"));
    // Samples at 100 Hz, stored as CPU nanoseconds as Pyroscope does.
    let expected_py = [("main;cold".to_owned(), 100_000_000), ("main;work;hot".to_owned(), 900_000_000)];
    assert_eq!(py, BTreeMap::from(expected_py));
    let reference = std::fs::read_to_string(fixtures.join("cpu.expected.json")).unwrap();
    let reference: BTreeMap<String, i64> = serde_json::from_str(&reference).unwrap();
    assert_eq!(
        folded(&run_dir.join("goapp.process_cpu.folded")),
        reference,
        "the pprof upload, as go tool pprof reads it"
    );
}

#[test]
fn duration_in_push_mode_keeps_what_arrived_before_it_while_the_command_runs_on() {
    let dir = temp_dir("push");
    let pprof = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-model/tests/fixtures/go/cpu.pb.gz");
    let mut c = adhoc(&dir);
    c.args(["--push", "--duration", "500ms", "--format", "folded", "--", "python3"]).arg(program("push_ingest.py"));
    c.arg(pprof).args(["0", "1.5"]);
    let started = Instant::now();
    let out = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(1500), "kiln waits for the command");
    assert!(String::from_utf8_lossy(&out.stdout).contains("statuses 200 200 200"), "the late push is answered");
    let run_dir = dir.join("out").join(&names(&dir.join("out"))[0]);
    let py = folded(&run_dir.join("pyapp.process_cpu.folded"));
    assert_eq!(py.keys().collect::<Vec<_>>(), ["main;cold", "main;work;hot"], "nothing after --duration");
}

#[test]
fn command_that_pushes_nothing_fails_with_a_hint() {
    let dir = temp_dir("push");
    let mut c = adhoc(&dir);
    c.args(["--push", "--", "true"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no profile arrived") && stderr.contains("Pyroscope SDK"), "{stderr}");
    assert!(names(&dir.join("out")).is_empty(), "no report without a profile");
}

#[test]
fn sigterm_to_kiln_in_push_mode_is_forwarded_to_the_command() {
    let dir = temp_dir("push");
    let mut c = adhoc(&dir);
    let mut kiln = c.args(["--push", "--", "sleep", "30"]).stdin(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill").args(["-TERM", &kiln.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    assert_eq!(kiln.wait().unwrap().code(), Some(128 + 15), "sleep died of the forwarded SIGTERM");
    assert!(started.elapsed() < Duration::from_secs(5));
}
