//! `kiln query` against a real `kiln server` on loopback, after ingesting
//! folded stacks through `/ingest`: merge (folded, pprof, json, html),
//! series and labels, and the errors a user sees.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output};

const STACKS: &str = "main;work;compute 30\nmain;idle 10\nmain 5\n";
/// `app.cpu` at `sampleRate=100`: a sample is 10 ms of CPU.
const NANOS_PER_SAMPLE: i64 = 10_000_000;
const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

struct Server {
    runtime: tokio::runtime::Runtime,
    running: Option<kiln_server::Running>,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(name: &str) -> Server {
        let dir = std::env::temp_dir().join(format!("kiln-query-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let flags: BTreeMap<String, String> = [("listen", "127.0.0.1:0"), ("data_dir", dir.to_str().unwrap())]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let config = kiln_server::Config::load(None, &BTreeMap::new(), &flags).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let running = runtime.block_on(kiln_server::start(config, &BTreeMap::new(), false)).unwrap();
        Server { runtime, running: Some(running), dir }
    }

    fn addr(&self) -> SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = self.runtime.block_on(r.shutdown());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 POST; the status code.
fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("POST {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split(' ').nth(1).unwrap().parse().unwrap()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Ingests `STACKS` as `shop.cpu{env=prod}` ten seconds ago for `tenant`.
fn ingest(server: &Server, tenant: &str) {
    let from = now_secs() - 10;
    let path = format!("/ingest?name=shop.cpu%7Benv%3Dprod%7D&from={from}&until={}&format=folded", from + 10);
    let status =
        post(server.addr(), &path, &[("Content-Type", "text/plain"), ("X-Scope-OrgID", tenant)], STACKS.as_bytes());
    assert_eq!(status, 200);
}

fn kiln(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("query")
        .args(args)
        .args(["--url", &server.url(), "--tenant", "shop"])
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// `STACKS` with counts in CPU nanoseconds, sorted as folded output is.
fn expected_folded() -> String {
    let mut lines: Vec<String> = STACKS
        .lines()
        .map(|l| {
            let (stack, n) = l.rsplit_once(' ').unwrap();
            format!("{stack} {}", n.parse::<i64>().unwrap() * NANOS_PER_SAMPLE)
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

#[test]
fn merge_as_folded_returns_exactly_the_ingested_stacks() {
    let server = Server::start("folded");
    ingest(&server, "shop");
    let q = ["merge", "--query", "{service_name=\"shop\"}", "--profile-type", CPU, "--output-format", "folded"];
    assert_eq!(stdout(&kiln(&server, &q)), expected_folded());
    let other_tenant = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["query", "merge", "--output-format", "folded", "--url", &server.url(), "--tenant", "nobody"])
        .output()
        .unwrap();
    assert_eq!(stdout(&other_tenant), "", "tenants see only their own data");
}

#[test]
fn merge_writes_pprof_json_and_html_files() {
    let server = Server::start("files");
    ingest(&server, "shop");
    let out_dir = server.dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let pprof_path = out_dir.join("merged.pb.gz");
    stdout(&kiln(&server, &["merge", "-o", pprof_path.to_str().unwrap()]));
    let profile = kiln_model::pprof::decode(&std::fs::read(&pprof_path).unwrap()).unwrap();
    let tree = kiln_model::Tree::from_profile(&profile, 0);
    assert_eq!(kiln_model::folded::encode_tree(&tree), expected_folded());

    let json = stdout(&kiln(&server, &["merge", "--output-format", "json"]));
    let fb = kiln_model::flamebearer::from_json(json.as_bytes()).unwrap();
    assert_eq!(fb.flamebearer.num_ticks, 45 * NANOS_PER_SAMPLE);
    assert!(fb.flamebearer.names.contains(&"compute".to_owned()));

    let html = stdout(&kiln(&server, &["merge", "--output-format", "html"]));
    assert!(html.starts_with("<!doctype html>") && html.contains("compute"));
}

#[test]
fn series_and_labels_print_what_the_server_holds() {
    let server = Server::start("series");
    ingest(&server, "shop");
    let json = stdout(&kiln(&server, &["series", "--output-format", "json", "--group-by", "env"]));
    let series: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(series[0]["labels"], serde_json::json!({"env": "prod"}));
    let total: f64 = series[0]["points"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).sum();
    assert_eq!(total as i64, 45 * NANOS_PER_SAMPLE);
    let table = stdout(&kiln(&server, &["series"]));
    assert!(table.starts_with("LABELS\tTIME\tVALUE\n{}\t"), "{table}");

    let names = stdout(&kiln(&server, &["labels"]));
    assert!(names.lines().any(|l| l == "service_name") && names.lines().any(|l| l == "env"), "{names}");
    assert_eq!(stdout(&kiln(&server, &["labels", "--label", "env"])), "prod\n");
    let types = stdout(&kiln(&server, &["labels", "--label", "__profile_type__"]));
    assert!(types.lines().any(|l| l == CPU), "{types}");
}

#[test]
fn bad_selectors_tls_urls_and_dead_servers_are_clear_errors() {
    let server = Server::start("errors");
    let out = kiln(&server, &["merge", "--query", "{service_name=}"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid_argument"), "{err}");

    let tls = Command::new(env!("CARGO_BIN_EXE_kiln")).args(["query", "labels", "--url", "https://kiln:4040"]).output();
    let err = String::from_utf8(tls.unwrap().stderr).unwrap();
    assert!(err.contains("TLS not supported yet"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let addr = server.addr();
    drop(server);
    let dead =
        Command::new(env!("CARGO_BIN_EXE_kiln")).args(["query", "labels", "--url", &format!("http://{addr}")]).output();
    let err = String::from_utf8(dead.unwrap().stderr).unwrap();
    assert!(err.contains(&format!("connecting to {addr}")), "{err}");
}
