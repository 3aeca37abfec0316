//! `kiln exec` against a real `kiln server` on loopback: profiles pushed
//! every interval through the Push API arrive with the program's CPU split
//! and its labels, survive a server outage in the bounded buffer, and what
//! the bound made kiln drop is reported.

mod exec_support;

use std::process::Stdio;
use std::time::Duration;

use exec_support::*;

#[test]
fn exec_of_a_c_program_without_frame_pointers_shows_its_measured_split_with_its_labels() {
    let dir = temp_dir("c");
    let server = Server::start(&dir);
    let exe = build_three_to_one(&dir);
    // 400 Hz: ~1200 samples, so the share's sampling error (~1.3 points) stays well inside 5.
    let mut c = exec(&server, "1s", &["--sample-rate", "400", "--application-name", "split-c", "--tag", "env=ci"]);
    c.args(["--tag", "team=kiln"]);
    c.args(["--service-repository", "https://example.com/split.git", "--service-git-ref", "abc123", "--"]);
    c.arg(&exe).args(["3", "7"]).stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = finish(c.spawn().unwrap());
    assert_eq!(out.status.code(), Some(7), "the program's exit code passes through");
    let expected = measured_heavy_share(&out.stdout);
    let (pushed, dropped) = pushed_and_dropped(&out.stderr);
    assert!(pushed >= 2 && dropped == 0, "one profile per interval, the last partial one too: {pushed}, {dropped}");
    let stacks = server.folded(r#"{service_name="split-c",env="ci",team="kiln",service_git_ref="abc123"}"#);
    assert!(stacks.keys().any(|s| s.contains("main;work;heavy")), "unwound without frame pointers: {stacks:?}");
    let observed = heavy_share(&stacks);
    eprintln!("heavy: server {observed:.1}%, program {expected:.1}%");
    assert!((observed - expected).abs() <= 5.0, "heavy: server {observed:.1}%, program {expected:.1}%");
    assert_eq!(server.label_values("service_repository"), ["https://example.com/split.git"]);
}

#[test]
fn exec_of_a_python_script_shows_its_measured_split_under_its_service_name() {
    let dir = temp_dir("py");
    let server = Server::start(&dir);
    let mut c =
        exec(&server, "1s", &["--sample-rate", "400", "--application-name", "split-py", "--tag", "env=ci", "--"]);
    c.arg("python3").arg(program("three_to_one.py")).arg("3").stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = finish(c.spawn().unwrap());
    assert_eq!(out.status.code(), Some(0));
    let expected = measured_heavy_share(&out.stdout);
    let stacks = server.folded(r#"{service_name="split-py",env="ci"}"#);
    let observed = heavy_share(&stacks);
    eprintln!("heavy: server {observed:.1}%, program {expected:.1}%");
    assert!((observed - expected).abs() <= 5.0, "heavy: server {observed:.1}%, program {expected:.1}%");
}

/// The issue's outage: the server is stopped for 30 s mid-run.
const OUTAGE: Duration = Duration::from_secs(30);
/// CPU seconds the program runs: the outage and a few seconds around it.
const RUN_SECONDS: f64 = 34.0;

/// Runs the C program for [`RUN_SECONDS`] of CPU under `kiln exec` with a
/// 1 s interval and `flags`, stopping the server for [`OUTAGE`] from the
/// 2nd second; returns kiln's output and the CPU nanoseconds the server holds.
fn run_through_an_outage(tag: &str, flags: &[&str]) -> (std::process::Output, i64) {
    let dir = temp_dir(tag);
    let mut server = Server::start(&dir);
    let exe = build_three_to_one(&dir);
    let mut c = exec(&server, "1s", &[&["--application-name", tag], flags].concat());
    c.arg("--").arg(&exe).arg(RUN_SECONDS.to_string()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    server.stop();
    std::thread::sleep(OUTAGE);
    server.restart();
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0));
    let total = server.folded(&format!(r#"{{service_name="{tag}"}}"#)).values().sum();
    (out, total)
}

#[test]
fn profiles_buffered_during_a_30_s_outage_arrive_once_the_server_is_back() {
    let (out, total_nanos) = run_through_an_outage("outage", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("push failed, retrying"), "the outage was seen: {stderr}");
    let (pushed, dropped) = pushed_and_dropped(&out.stderr);
    assert_eq!(dropped, 0, "about 30 profiles fit the default bound of 64: {stderr}");
    assert!(pushed >= 25, "about one profile per second of a 34 s run: {pushed}");
    // 30 of the program's 34 CPU seconds fell in the outage: without the
    // buffer the server would hold about 4 of them.
    let held = total_nanos as f64 / 1e9;
    assert!(held >= 0.9 * RUN_SECONDS, "the server holds {held:.2}s of the program's {RUN_SECONDS}s of CPU");
}

#[test]
fn a_buffer_bound_below_a_30_s_outage_drops_the_oldest_and_reports_how_many() {
    let (out, total_nanos) = run_through_an_outage("bounded", &["--buffer-max-profiles", "10"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (pushed, dropped) = pushed_and_dropped(&out.stderr);
    assert!(dropped >= 15, "30 s of 1 s profiles do not fit in 10: dropped {dropped}\n{stderr}");
    assert!(stderr.contains("push buffer full"), "each drop is logged: {stderr}");
    assert!(pushed >= 10, "the profiles before, the last 10 of, and after the outage arrive: {pushed}");
    assert!((total_nanos as f64 / 1e9) < 0.75 * RUN_SECONDS, "dropped profiles are not stored");
}

#[test]
fn connect_pushes_a_running_process_until_kiln_is_stopped_and_leaves_it_running() {
    let dir = temp_dir("connect");
    let server = Server::start(&dir);
    let mut target =
        std::process::Command::new(build_three_to_one(&dir)).arg("30").stdout(Stdio::null()).spawn().unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(["connect", "--pid", &target.id().to_string(), "--server-address", &server.url()]);
    c.args(["--upload-interval", "500ms", "--application-name", "attached"]).stderr(Stdio::piped());
    let kiln = c.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let status = std::process::Command::new("kill").args(["-TERM", &kiln.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = finish(kiln);
    assert_eq!(out.status.code(), Some(0));
    assert!(target.try_wait().unwrap().is_none(), "the process goes on after kiln stops");
    target.kill().unwrap();
    target.wait().unwrap();
    let (pushed, dropped) = pushed_and_dropped(&out.stderr);
    assert!(pushed >= 2 && dropped == 0, "{pushed}, {dropped}");
    let stacks = server.folded(r#"{service_name="attached"}"#);
    assert!(stacks.keys().any(|s| s.ends_with(";heavy")), "{stacks:?}");
}
