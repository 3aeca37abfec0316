//! kiln-sdk's example application (`examples/sdk-app`) profiled into a real
//! `kiln server` on loopback: its hot function's share matches what the
//! application measures itself, its tags are labels that narrow the flame
//! graph, and Pyroscope's own Rust SDK profiling the same workload
//! (`examples/sdk-app/pyroscope-peer`) finds the same hot function.
//!
//! The applications are built by the test with cargo: sdk-app in release
//! with frame pointers under `~/.cache/kiln/sdk-app-target`, the peer under
//! `~/.cache/kiln/sdk-rust-target` (shared with kiln-server's SDK client).

// The exec tests' server helpers; this file uses only the server itself.
#[allow(dead_code)]
mod exec_support;

use exec_support::{temp_dir, Server};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds `manifest`'s package `package` with cargo under `target_dir`.
fn cargo_build(manifest: &Path, target_dir: &Path, extra: &[&str], rustflags: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--locked", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .args(extra)
        .env("RUSTFLAGS", rustflags)
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build of {}", manifest.display());
}

fn cache_dir() -> PathBuf {
    PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/kiln")
}

/// `sdk-app`, in release with frame pointers (whole stacks).
fn sdk_app() -> PathBuf {
    let target = cache_dir().join("sdk-app-target");
    let manifest = workspace().join("Cargo.toml");
    cargo_build(&manifest, &target, &["--release", "-p", "kiln-sdk-example"], "-C force-frame-pointers=yes");
    target.join("release/sdk-app")
}

/// The same workload under Pyroscope's Rust SDK (pprof-rs backend).
fn pyroscope_peer() -> PathBuf {
    let target = cache_dir().join("sdk-rust-target");
    cargo_build(&workspace().join("examples/sdk-app/pyroscope-peer/Cargo.toml"), &target, &[], "");
    target.join("debug/kiln-sdk-pyroscope-peer")
}

/// Runs an application to completion (bounded), returning its stdout.
fn run_app(exe: &Path, args: &[&str]) -> String {
    let child = Command::new(exe).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(300));
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    });
    let out = child.wait_with_output().unwrap();
    drop(watchdog);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} failed: {stdout}{stderr}", exe.display());
    eprintln!("{stdout}{stderr}");
    stdout.into_owned()
}

/// The number after `key` in the application's output.
fn printed(stdout: &str, key: &str) -> f64 {
    let rest = stdout.split(key).nth(1).unwrap_or_else(|| panic!("{key} in {stdout}"));
    rest.split_whitespace().next().and_then(|v| v.parse().ok()).expect("a number")
}

/// The workload's two functions.
const APP_FUNCTIONS: [&str; 2] = ["price_cart", "rank_results"];

/// CPU per workload function, each stack charged to the innermost one it
/// holds: the application's self time, with inlined library code
/// (`rotate_left`, `black_box`) charged to its caller. Frames are matched
/// by their last path segment: symbol tables give `crate::workload::f`,
/// DWARF inline records just `f`.
fn app_self_time(stacks: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let mut totals = BTreeMap::new();
    for (stack, value) in stacks {
        let short = |frame: &str| frame.rsplit("::").next().unwrap_or(frame).to_owned();
        if let Some(function) = stack.rsplit(';').map(short).find(|f| APP_FUNCTIONS.contains(&f.as_str())) {
            *totals.entry(function).or_insert(0) += value;
        }
    }
    totals
}

fn hottest(totals: &BTreeMap<String, i64>) -> String {
    totals.iter().max_by_key(|(_, v)| **v).map(|(f, _)| f.clone()).expect("application functions sampled")
}

#[test]
fn sdk_app_shows_its_measured_hot_function_share_and_its_tags_as_labels_that_narrow_the_flame_graph() {
    let app = sdk_app();
    let server = Server::start(&temp_dir("sdk-share"));
    // ~12 CPU seconds over 2 threads: >1000 samples, so the share's
    // sampling error (~1.3 points) stays inside the 3 points.
    let args =
        ["--server", &server.url(), "--threads", "2", "--seconds", "12", "--rate", "250", "--interval-ms", "1000"];
    let stdout = run_app(&app, &args);
    assert_eq!(printed(&stdout, "pushes_failed="), 0.0);
    assert!(printed(&stdout, "profiles_pushed=") >= 2.0, "one profile per tag set and second");

    let stacks = server.folded(r#"{service_name="sdk-app",env="example"}"#);
    let self_time = app_self_time(&stacks);
    let (hot, light) = (self_time["price_cart"] as f64, self_time["rank_results"] as f64);
    let (observed, measured) = (100.0 * hot / (hot + light), printed(&stdout, "price_cart_percent="));
    eprintln!(
        "price_cart: server {observed:.1}%, application {measured:.1}% of {} samples",
        printed(&stdout, "samples=")
    );
    assert!((observed - measured).abs() <= 3.0, "price_cart: server {observed:.1}%, application {measured:.1}%");
    let whole = |s: &String| s.contains("workload::run_threads") && s.contains("price_cart");
    assert!(stacks.keys().any(whole), "frame pointers give whole stacks: {stacks:?}");

    assert_eq!(server.label_values("workload"), ["checkout", "search"]);
    let checkout = app_self_time(&server.folded(r#"{service_name="sdk-app",workload="checkout"}"#));
    let search = app_self_time(&server.folded(r#"{service_name="sdk-app",workload="search"}"#));
    assert!(checkout.get("price_cart") > Some(&0) && !checkout.contains_key("rank_results"), "{checkout:?}");
    assert!(search.get("rank_results") > Some(&0) && !search.contains_key("price_cart"), "{search:?}");
    assert_eq!(checkout["price_cart"] + search["rank_results"], (hot + light) as i64, "the two sets split the whole");
}

#[test]
fn pyroscope_rust_sdk_on_the_same_workload_finds_the_same_hot_function() {
    let (app, peer) = (sdk_app(), pyroscope_peer());
    let server = Server::start(&temp_dir("sdk-peer"));
    run_app(&app, &["--server", &server.url(), "--seconds", "3", "--interval-ms", "1000"]);
    run_app(&peer, &["--server", &server.url(), "--seconds", "3", "--interval-ms", "1000"]);
    let ours = app_self_time(&server.folded(r#"{service_name="sdk-app"}"#));
    let theirs = app_self_time(&server.folded(r#"{service_name="sdk-app-pyroscope"}"#));
    eprintln!("kiln-sdk {ours:?}, pyroscope {theirs:?}");
    assert_eq!(hottest(&ours), "price_cart");
    assert_eq!(hottest(&theirs), hottest(&ours));
    assert!(server.label_values("workload").contains(&"checkout".to_owned()), "the peer's tags arrive too");
}
