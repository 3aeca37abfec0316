//! A block file damaged while the server was down: at the next start it is
//! moved to `<data_dir>/store/quarantine/` under its own name and counted
//! in `/metrics`, the other profiles stay readable, ingestion goes on,
//! and the start after that neither reports it again nor reads it.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use common::{http, start_on_loopback};

const TENANT: &str = "shop";

fn ingest(addr: SocketAddr, i: i64) -> u16 {
    let from = 1_767_225_600 + i * 10;
    let path = format!("/ingest?name=checkout.cpu&from={from}&until={}", from + 10);
    let body = format!("main;serve;handler{i} {}\n", i + 1);
    http(addr, &path, &[("Content-Type", "text/plain"), ("X-Scope-OrgID", TENANT)], body.as_bytes()).0
}

fn get(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: kiln\r\nX-Scope-OrgID: {TENANT}\r\nConnection: close\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

/// The handlers in the merged flame graph of the tenant's profiles.
fn handlers(addr: SocketAddr) -> Vec<String> {
    let q = "/pyroscope/render?query=process_cpu:cpu:nanoseconds:cpu:nanoseconds%7Bservice_name=%22checkout%22%7D&from=1767225000&until=1767229200&format=json";
    let resp = get(addr, q);
    let mut found: Vec<String> =
        (0..3).map(|i| format!("handler{i}")).filter(|h| resp.contains(&format!("\"{h}\""))).collect();
    found.sort();
    found
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { files(&e.path()) } else { vec![e.path()] }).collect()
}

fn metric(addr: SocketAddr) -> String {
    let resp = get(addr, "/metrics");
    resp.lines().find(|l| l.starts_with("kiln_store_corrupt_objects_total ")).unwrap_or("absent").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_block_is_quarantined_counted_and_the_rest_served() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = start_on_loopback(&data).await;
    let addr = running.addr;
    let statuses = tokio::task::spawn_blocking(move || [ingest(addr, 0), ingest(addr, 1)]).await.unwrap();
    assert_eq!(statuses, [200, 200]);
    running.shutdown().await.unwrap();

    let mut blocks = files(&data.join("store/blocks"));
    blocks.sort();
    let damaged = blocks.last().unwrap().clone();
    let mut bytes = std::fs::read(&damaged).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xff; // inside the footer
    std::fs::write(&damaged, bytes).unwrap();

    let running = start_on_loopback(&data).await;
    let addr = running.addr;
    let (count, found, status) =
        tokio::task::spawn_blocking(move || (metric(addr), handlers(addr), ingest(addr, 2))).await.unwrap();
    assert_eq!(count, "kiln_store_corrupt_objects_total 1");
    assert_eq!(found, ["handler0"], "the undamaged profile is served");
    assert_eq!(status, 200, "ingestion goes on");
    running.shutdown().await.unwrap();
    let quarantined = data.join("store/quarantine").join(TENANT).join(damaged.file_name().unwrap());
    assert!(quarantined.exists(), "kept for inspection under its name: {:?}", files(&data.join("store")));
    assert!(!damaged.exists());

    let running = start_on_loopback(&data).await;
    let addr = running.addr;
    let (count, found) = tokio::task::spawn_blocking(move || (metric(addr), handlers(addr))).await.unwrap();
    assert_eq!(count, "kiln_store_corrupt_objects_total 0", "not reported again after a restart");
    assert_eq!(found, ["handler0", "handler2"]);
    running.shutdown().await.unwrap();
}
