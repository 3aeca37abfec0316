//! Real Pyroscope clients against a real `kiln server` on loopback: each
//! test starts the server, lets a client profile a small program with a
//! known hot function for a few seconds, stops the server gracefully, opens
//! the store and finds that function dominating the CPU flame graph, with
//! the labels the client sent.
//!
//! The clients live in `tests/sdk/`: the Python SDK (`pyroscope-io`, Push
//! API) in a venv under `~/.cache/kiln/sdk-venv`, the Node.js SDK
//! (`@pyroscope/nodejs`, `/ingest` pprof) from `tests/sdk/node/node_modules`,
//! the Rust SDK (`pyroscope`, pprof-rs backend, Push API) built under
//! `~/.cache/kiln/sdk-rust-target`; a missing install is made on first use.
//! Go and Java have no registry client here: a real Go `runtime/pprof`
//! profile and a real JDK Flight Recorder file are posted exactly as the Go
//! SDK and the Java agent post them.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kiln_model::tree::Tree;
use kiln_server::Running;
use kiln_store::{Labels, LabelsEqual, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;

const TENANT: &str = "anonymous";
const ALL: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };
/// How long each client profiles its hot loop.
const PROFILE_SECONDS: &str = "4";
/// Bound on a client program's run.
const CLIENT_TIMEOUT: u64 = 60;
/// Bound on an install or build step.
const INSTALL_TIMEOUT: u64 = 300;
const CPU_NANOS: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache/kiln")
}

/// A `kiln server` on an ephemeral loopback port over a fresh data dir.
struct TestServer {
    running: Running,
    dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let running = common::start_on_loopback(dir.path()).await;
        TestServer { running, dir }
    }

    fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    /// Stops the server gracefully and opens what it left on disk.
    async fn stop_and_open(self) -> (Store, tempfile::TempDir) {
        let store_dir = self.running.data_dir.join("store");
        self.running.shutdown().await.unwrap();
        let fs = LocalFileSystem::new_with_prefix(store_dir).unwrap();
        let config = StoreConfig { maintenance_interval: None, ..StoreConfig::default() };
        (Store::open(Arc::new(fs), config).await.unwrap(), self.dir)
    }
}

/// Runs a child under `timeout`, off the async runtime, and returns its
/// output; panics with everything it printed when it fails.
async fn run(what: &str, limit: u64, program: &Path, args: &[&str], envs: &[(&str, &str)], cwd: &Path) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["--kill-after=5", &limit.to_string()]).arg(program).args(args).current_dir(cwd);
    cmd.envs(envs.iter().copied());
    let what = what.to_owned();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
        eprintln!("{what}: {:.1}s", started.elapsed().as_secs_f64());
        assert!(out.status.success(), "{what} failed ({}):\n{}", out.status, printed(&out));
        out
    })
    .await
    .unwrap()
}

fn printed(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The venv's python with `requirements.txt` installed, made if missing.
async fn python_sdk() -> PathBuf {
    let venv = cache_dir().join("sdk-venv");
    let python = venv.join("bin/python");
    let requirements = sdk_dir().join("python/requirements.txt");
    let stamp = venv.join("kiln-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let venv_arg = venv.to_str().unwrap();
        run("python -m venv", INSTALL_TIMEOUT, Path::new("python3"), &["-m", "venv", venv_arg], &[], &sdk_dir()).await;
        let req = requirements.to_str().unwrap();
        run("pip install", INSTALL_TIMEOUT, &venv.join("bin/pip"), &["install", "-q", "-r", req], &[], &sdk_dir())
            .await;
        std::fs::write(&stamp, wanted).unwrap();
    }
    python
}

/// `tests/sdk/node` with its locked `node_modules`, installed if missing.
async fn node_sdk() -> PathBuf {
    let dir = sdk_dir().join("node");
    if !dir.join("node_modules/@pyroscope/nodejs/package.json").exists() {
        run("npm ci", INSTALL_TIMEOUT, Path::new("npm"), &["ci", "--no-audit", "--no-fund"], &[], &dir).await;
    }
    dir
}

/// The Rust client, built (incrementally) in its own target dir.
async fn rust_client() -> PathBuf {
    let target = cache_dir().join("sdk-rust-target");
    let manifest = sdk_dir().join("rust/Cargo.toml");
    let target_arg = target.to_str().unwrap();
    let args =
        ["build", "--quiet", "--locked", "--manifest-path", manifest.to_str().unwrap(), "--target-dir", target_arg];
    run("cargo build (Rust SDK client)", INSTALL_TIMEOUT, Path::new(env!("CARGO")), &args, &[], &sdk_dir()).await;
    target.join("debug/kiln-sdk-rust-client")
}

/// Every series of a service, for assertions and failure messages.
fn series_of(store: &Store, service: &str) -> Vec<Labels> {
    store.series(TENANT, &LabelsEqual(vec![("service_name".into(), service.into())]), ALL)
}

fn label<'a>(labels: &'a Labels, name: &str) -> Option<&'a str> {
    labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The merged tree of one service's series of one profile type.
async fn flame_graph(store: &Store, service: &str, profile_type: &str) -> Tree {
    let filter =
        LabelsEqual(vec![("service_name".into(), service.into()), ("__profile_type__".into(), profile_type.into())]);
    store.merge_tree(TENANT, &filter, ALL).await.unwrap()
}

/// The share of the tree's total in stacks through a frame containing
/// `function`.
fn share_through(tree: &Tree, function: &str) -> f64 {
    let folded = tree.folded_map();
    let total: i64 = folded.values().sum();
    let hot: i64 =
        folded.iter().filter(|(stack, _)| stack.split(';').any(|f| f.contains(function))).map(|(_, v)| v).sum();
    if total == 0 {
        0.0
    } else {
        hot as f64 / total as f64
    }
}

/// What a client's test expects to find in the store.
struct Expected<'a> {
    service: &'a str,
    /// The profile type carrying CPU time.
    profile_type: &'a str,
    function: &'a str,
    /// Labels every series of the service has.
    tags: &'a [(&'a str, &'a str)],
}

/// The hot function carries most of the CPU time, with the tags the
/// client sent on every series of the service.
async fn assert_hot_function_dominates(store: &Store, expected: &Expected<'_>, log: &str) {
    let Expected { service, profile_type, function, tags } = *expected;
    let series = series_of(store, service);
    assert!(!series.is_empty(), "nothing stored for {service}; all series: {:?}\n{log}", store_series(store));
    for labels in &series {
        for (k, v) in tags {
            assert_eq!(label(labels, k), Some(*v), "label {k} of {labels:?}");
        }
    }
    let tree = flame_graph(store, service, profile_type).await;
    let top: Vec<_> = {
        let mut f: Vec<_> = tree.folded_map().into_iter().collect();
        f.sort_by_key(|(_, v)| -*v);
        f.into_iter().take(5).collect()
    };
    let share = share_through(&tree, function);
    eprintln!("{service}: {function} has {:.0}% of {profile_type}", share * 100.0);
    assert!(
        share > 0.5,
        "{function} has {:.0}% of {CPU_NANOS}; series {series:?}; top stacks {top:?}\n{log}",
        share * 100.0
    );
}

fn store_series(store: &Store) -> Vec<Labels> {
    store.series(TENANT, &kiln_store::AllSeries, ALL)
}

fn now_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

/// One part of a `multipart/form-data` body.
struct Part<'a> {
    name: &'a str,
    filename: &'a str,
    content_type: Option<&'a str>,
    data: &'a [u8],
}

fn multipart(boundary: &str, parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        let mut head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n",
            p.name, p.filename
        );
        if let Some(ct) = p.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str("\r\n");
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// One HTTP/1.1 POST; returns the status code and body.
fn post(addr: SocketAddr, path_and_query: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: kiln-sdk-test\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_pushes_cpu_profiles_where_the_hot_function_dominates() {
    let python = python_sdk().await;
    let server = TestServer::start().await;
    let app = sdk_dir().join("python/app.py");
    let out = run(
        "python SDK client",
        CLIENT_TIMEOUT,
        &python,
        &[app.to_str().unwrap(), &server.url(), PROFILE_SECONDS],
        &[],
        &sdk_dir(),
    )
    .await;
    let (store, _dir) = server.stop_and_open().await;
    let tags = [("env", "sdk-test"), ("sdk", "python"), ("otel.scope.name", "com.grafana.pyroscope/python")];
    let expected =
        Expected { service: "kiln-sdk-python", profile_type: CPU_NANOS, function: "burn_cpu_in_python", tags: &tags };
    assert_hot_function_dominates(&store, &expected, &printed(&out)).await;
}

/// Issue #15: with auth on, the Python SDK's Basic auth (a user made by
/// `kiln token create --user`, Argon2id) and `tenant_id` store its
/// profiles in that tenant, and nowhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_with_basic_auth_pushes_into_its_users_tenant() {
    let python = python_sdk().await;
    let role = kiln_api::auth::Role::Ingest;
    let (_, user) = kiln_server::new_user("py-sdk", Some("sdk-password".into()), role, &["team-py".into()]);
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback_with(dir.path(), &format!("auth_enabled = true\n{user}")).await;
    let server = TestServer { running, dir };
    let app = sdk_dir().join("python/app.py");
    let args = [app.to_str().unwrap(), &server.url(), PROFILE_SECONDS, "py-sdk", "sdk-password", "team-py"];
    let out = run("python SDK client with Basic auth", CLIENT_TIMEOUT, &python, &args, &[], &sdk_dir()).await;
    let (store, _dir) = server.stop_and_open().await;
    let service = LabelsEqual(vec![("service_name".into(), "kiln-sdk-python".into())]);
    assert!(!store.series("team-py", &service, ALL).is_empty(), "nothing stored for team-py\n{}", printed(&out));
    assert!(store_series(&store).is_empty(), "nothing in the default tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_posts_pprof_to_ingest_where_the_hot_function_dominates() {
    let dir = node_sdk().await;
    let server = TestServer::start().await;
    let envs = [("DEBUG", "pyroscope")];
    let out = run(
        "node SDK client",
        CLIENT_TIMEOUT,
        Path::new("node"),
        &["app.js", &server.url(), PROFILE_SECONDS],
        &envs,
        &dir,
    )
    .await;
    let (store, _dir) = server.stop_and_open().await;
    let log = printed(&out);
    assert!(!log.contains("Server rejected"), "{log}");
    let tags = [("env", "sdk-test"), ("sdk", "node"), ("pyroscope_spy", "nodespy")];
    // The SDK's CPU profiler is V8's wall profiler with CPU time collected:
    // sample types samples, wall and cpu, so Pyroscope names it `wall`.
    let expected = Expected {
        service: "kiln-sdk-node",
        profile_type: "wall:cpu:nanoseconds:wall:nanoseconds",
        function: "burnCpuInNode",
        tags: &tags,
    };
    assert_hot_function_dominates(&store, &expected, &log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_sdk_pushes_pprof_rs_profiles_where_the_hot_function_dominates() {
    let client = rust_client().await;
    let server = TestServer::start().await;
    let envs = [("RUST_LOG", "debug")];
    let out =
        run("rust SDK client", CLIENT_TIMEOUT, &client, &[&server.url(), PROFILE_SECONDS], &envs, &sdk_dir()).await;
    let (store, _dir) = server.stop_and_open().await;
    let tags = [("env", "sdk-test"), ("sdk", "rust"), ("process.runtime.name", "rust")];
    let expected =
        Expected { service: "kiln-sdk-rust", profile_type: CPU_NANOS, function: "burn_cpu_in_rust", tags: &tags };
    assert_hot_function_dominates(&store, &expected, &printed(&out)).await;
}

/// The query string of a Go SDK upload (`upstream/remote`): every
/// parameter set, times in Unix nanoseconds.
fn go_sdk_query(name: &str, from: u128, until: u128, sample_rate: u32, units: &str, aggregation: &str) -> String {
    format!(
        "/ingest?aggregationType={aggregation}&from={from}&name={}&sampleRate={sample_rate}&spyName=gospy&units={units}&until={until}",
        query_escape(name)
    )
}

fn go_sdk_name(scope: &str) -> String {
    format!(
        "kiln-sdk-go{{__session_id__=1f2e3d4c5b6a7988,env=sdk-test,otel.scope.name=com.grafana.pyroscope/{scope},otel.scope.version=1.2.7,process.runtime.name=go,process.runtime.version=go1.19.8,sdk=go}}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_sdk_multipart_upload_stores_cpu_and_block_profiles() {
    let out_dir = tempfile::tempdir().unwrap();
    let from = now_nanos();
    let go = sdk_dir().join("go/main.go");
    let envs = [("GO111MODULE", "off")];
    let args = ["run", go.to_str().unwrap(), out_dir.path().to_str().unwrap(), PROFILE_SECONDS];
    let out = run("go program", CLIENT_TIMEOUT, Path::new("go"), &args, &envs, &sdk_dir()).await;
    let until = now_nanos();
    let cpu = std::fs::read(out_dir.path().join("cpu.pprof")).unwrap();
    let block = std::fs::read(out_dir.path().join("block.pprof")).unwrap();

    let server = TestServer::start().await;
    let addr = server.addr();
    let boundary = "4f1c2a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c";
    let ct = format!("multipart/form-data; boundary={boundary}");
    let cpu_form = multipart(
        boundary,
        &[Part {
            name: "profile",
            filename: "profile.pprof",
            content_type: Some("application/octet-stream"),
            data: &cpu,
        }],
    );
    let block_config = br#"{"contentions":{"units":"lock_samples","display-name":"block_count"},"delay":{"units":"lock_nanoseconds","display-name":"block_duration"}}"#;
    let block_form = multipart(
        boundary,
        &[
            Part {
                name: "profile",
                filename: "profile.pprof",
                content_type: Some("application/octet-stream"),
                data: &block,
            },
            Part {
                name: "sample_type_config",
                filename: "sample_type_config.json",
                content_type: Some("application/octet-stream"),
                data: block_config,
            },
        ],
    );
    let cpu_path = go_sdk_query(&go_sdk_name("go"), from, until, 100, "samples", "sum");
    let block_path = go_sdk_query(&go_sdk_name("godeltaprof"), from, until, 0, "", "");
    let (cpu_resp, block_resp) = tokio::task::spawn_blocking(move || {
        (post(addr, &cpu_path, &ct, &cpu_form), post(addr, &block_path, &ct, &block_form))
    })
    .await
    .unwrap();
    assert_eq!(cpu_resp.0, 200, "cpu upload: {}", cpu_resp.1);
    assert_eq!(block_resp.0, 200, "block upload: {}", block_resp.1);
    let (store, _dir) = server.stop_and_open().await;

    let tags = [("env", "sdk-test"), ("sdk", "go"), ("pyroscope_spy", "gospy"), ("process.runtime.name", "go")];
    let expected =
        Expected { service: "kiln-sdk-go", profile_type: CPU_NANOS, function: "main.burnCPUInGo", tags: &tags };
    assert_hot_function_dominates(&store, &expected, &printed(&out)).await;
    let types = store.label_values(TENANT, "__profile_type__", &AllGo, ALL);
    for t in ["block:contentions:count:contentions:count", "block:delay:nanoseconds:contentions:count"] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
    let block_tree = flame_graph(&store, "kiln-sdk-go", "block:delay:nanoseconds:contentions:count").await;
    assert!(share_through(&block_tree, "main.waitOnChannelInGo") > 0.0, "{:?}", block_tree.folded_map());
    let scopes = store.label_values(TENANT, "otel.scope.name", &AllGo, ALL);
    assert_eq!(scopes, ["com.grafana.pyroscope/go", "com.grafana.pyroscope/godeltaprof"]);
    let sessions = store.label_values(TENANT, "__session_id__", &AllGo, ALL);
    assert_eq!(sessions, ["1f2e3d4c5b6a7988"], "the one private label clients may send is kept");
}

/// The Go service's series.
struct AllGo;

impl kiln_store::SeriesFilter for AllGo {
    fn matches(&self, labels: &[(String, String)]) -> bool {
        labels.iter().any(|(n, v)| n == "service_name" && v == "kiln-sdk-go")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_flight_recording_posted_as_the_java_agent_does_finds_the_hot_method() {
    let out_dir = tempfile::tempdir().unwrap();
    let jfr_path = out_dir.path().join("hot.jfr");
    let record = format!("-XX:StartFlightRecording=filename={},settings=profile", jfr_path.display());
    let source = sdk_dir().join("java/HotLoop.java");
    let from = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let out = run(
        "java program",
        CLIENT_TIMEOUT,
        Path::new("java"),
        &[&record, source.to_str().unwrap(), PROFILE_SECONDS],
        &[],
        &sdk_dir(),
    )
    .await;
    let until = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let jfr = gzip(&std::fs::read(&jfr_path).unwrap());

    let server = TestServer::start().await;
    let addr = server.addr();
    let boundary = "3c1d9f2a-7e4b-4c8d-9a6f-0b5e2d7c1a38";
    let ct = format!("multipart/form-data; boundary={boundary}");
    let form = multipart(boundary, &[Part { name: "jfr", filename: "jfr", content_type: None, data: &jfr }]);
    let name = query_escape("kiln-sdk-java{env=sdk-test,sdk=java}");
    let path = format!(
        "/ingest?name={name}&units=samples&aggregationType=sum&from={from}&until={until}&spyName=javaspy&sampleRate=100&format=jfr"
    );
    let resp = tokio::task::spawn_blocking(move || post(addr, &path, &ct, &form)).await.unwrap();
    assert_eq!(resp.0, 200, "jfr upload: {}", resp.1);
    let (store, _dir) = server.stop_and_open().await;
    let tags = [("env", "sdk-test"), ("sdk", "java"), ("pyroscope_spy", "javaspy")];
    let expected =
        Expected { service: "kiln-sdk-java", profile_type: CPU_NANOS, function: "HotLoop.burnCpuInJava", tags: &tags };
    assert_hot_function_dominates(&store, &expected, &printed(&out)).await;
}
