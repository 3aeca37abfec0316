//! OpenTelemetry's own Python profiler (`opentelemetry-sdk-extension-profiling`
//! from PyPI, with the SDK and exporter versions it pins, which write the
//! opentelemetry-proto v1.9.0 layout and several values per sample) exporting
//! to a real `kiln server` over OTLP/HTTP and OTLP/gRPC: every export is
//! accepted and the stored total of each service equals the sum of the
//! sample values it sent, counted by the program before each export.
//!
//! The profiler lives in `tests/sdk/otel-python/` (`app.py`,
//! `requirements.txt`), installed into a venv under
//! `~/.cache/kiln/otel-profiling-venv` by `scripts/test.sh` or on first use.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use kiln_store::{LabelsEqual, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;

const TENANT: &str = "anonymous";
const ALL: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };
/// How the profiler's stack samples are stored: `samples:count` with
/// period `wall:nanoseconds`, named after the period type.
const WALL: &str = "wall:samples:count:wall:nanoseconds";
/// How long the program profiles its CPU-bound loop.
const PROFILE_SECONDS: &str = "3";
/// Bound on one child process (an install or the program).
const TIMEOUT: Duration = Duration::from_secs(300);

fn otel_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/otel-python")
}

/// Runs `program` to completion under `timeout`, off the async runtime;
/// panics with its output when it fails.
async fn run(program: &Path, args: &[&str]) {
    let mut cmd = Command::new("timeout");
    cmd.arg(TIMEOUT.as_secs().to_string()).arg(program).args(args).current_dir(otel_dir());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program:?} {args:?} failed ({}):\n{printed}", out.status);
}

/// The venv's python with `requirements.txt` installed, made if missing.
async fn python() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let venv = home.join(".cache/kiln/otel-profiling-venv");
    let requirements = otel_dir().join("requirements.txt");
    let stamp = venv.join("kiln-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        run(Path::new("python3"), &["-m", "venv", venv.to_str().unwrap()]).await;
        run(&venv.join("bin/pip"), &["install", "-q", "-r", requirements.to_str().unwrap()]).await;
        std::fs::write(&stamp, wanted).unwrap();
    }
    venv.join("bin/python")
}

/// What the program counted: exports, failed exports, and the sum of
/// sample values per period type.
#[derive(serde::Deserialize)]
struct Sent {
    exports: u64,
    failed: u64,
    totals: std::collections::BTreeMap<String, i64>,
}

/// Profiles the program exporting over `protocol` to `endpoint` as
/// `service`; what it sent.
async fn profile(python: &Path, protocol: &str, endpoint: &str, service: &str) -> Sent {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let summary_path = summary.path().to_str().unwrap();
    run(python, &["app.py", protocol, endpoint, PROFILE_SECONDS, summary_path, service]).await;
    serde_json::from_slice(&std::fs::read(summary.path()).unwrap()).unwrap()
}

async fn stored_total(store: &Store, service: &str) -> i64 {
    let filter = LabelsEqual(vec![("service_name".into(), service.into()), ("__profile_type__".into(), WALL.into())]);
    store.merge_tree(TENANT, &filter, ALL).await.unwrap().total()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opentelemetry_python_profiler_exports_over_http_and_grpc_are_stored_in_full() {
    let python = python().await;
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback(dir.path()).await;
    let http = format!("http://{}/v1development/profiles", running.addr);
    let sent = [
        ("otel-python-http", profile(&python, "http", &http, "otel-python-http").await),
        ("otel-python-grpc", profile(&python, "grpc", &running.addr.to_string(), "otel-python-grpc").await),
    ];
    let store_dir = running.data_dir.join("store");
    running.shutdown().await.unwrap();
    let fs = LocalFileSystem::new_with_prefix(store_dir).unwrap();
    let config = StoreConfig { maintenance_interval: None, ..StoreConfig::default() };
    let store = Store::open(Arc::new(fs), config).await.unwrap();
    for (service, sent) in sent {
        assert!(sent.exports > 0, "{service}: the profiler exported nothing");
        assert_eq!(sent.failed, 0, "{service}: {} of {} exports refused", sent.failed, sent.exports);
        assert_eq!(sent.totals.keys().collect::<Vec<_>>(), ["wall"], "{service}");
        assert!(sent.totals["wall"] > 0, "{service}: no samples");
        assert_eq!(stored_total(&store, service).await, sent.totals["wall"], "{service}");
    }
}
