//! The native spy attached to `kiln server` itself while it answers heavy
//! flame graph queries, against `perf record` of the same process over the
//! same seconds: perf's top 10 functions by self time must be the spy's,
//! by name, each share within 3 points (the issue's `from_ascii_radix`
//! against `StackTable::child` report). The binary is the test build of
//! `kiln` (debug: `scripts/test.sh` builds no release binary).

// Shared with kiln-agent's perf comparisons and the connection tests; this
// test uses only part of each.
#[allow(dead_code)]
#[path = "../../kiln-agent/tests/common/perf_compare.rs"]
mod perf_compare;
#[allow(dead_code)]
mod server_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use perf_compare::{assert_top_agree, sample_both};
use server_support::Server;

/// One HTTP/1.1 request on a fresh connection: the status code.
fn exchange(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("connect to kiln");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body)).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Folded stacks with many distinct functions, as a large service's profile.
fn folded() -> String {
    let mut text = String::new();
    for i in 0..10_000 {
        let n = i * 7919;
        text.push_str(&format!(
            "main;runtime.serve;svc{}::handle;svc{}::route{};lib{}::call{};lib{}::leaf{} {}\n",
            n % 40,
            n % 40,
            n % 300,
            n % 97,
            n % 1000,
            n % 211,
            n % 3000,
            1 + n % 17
        ));
    }
    text
}

#[test]
fn kiln_server_answering_heavy_queries_is_named_as_perf_names_it() {
    let server = Server::start("symbols", &[], None);
    // One profile, so one segment: the store's background compaction (on
    // a 15 s timer) finds nothing to merge while the two samplers watch.
    let from = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs() - 600;
    let path = format!("/ingest?name=heavy.cpu&from={from}&until={}&format=folded", from + 10);
    assert_eq!(exchange(server.addr, "POST", &path, folded().as_bytes()), 200, "ingest");
    let query = "/pyroscope/render?query=heavy.cpu%7B%7D&from=now-1h&until=now";
    assert_eq!(exchange(server.addr, "GET", query, b""), 200, "the query answers");
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (stop, answered, addr) = (Arc::clone(&stop), Arc::clone(&answered), server.addr);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(exchange(addr, "GET", query, b""), 200);
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let dir = std::env::temp_dir().join(format!("kiln-symbols-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (perf, kiln) = sample_both(server.pid(), 4.0, 1000, &dir);
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().expect("a query client"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(answered.load(Ordering::Relaxed) >= 2, "the server answered queries while sampled");
    assert_top_agree(&perf, &kiln, 10, 1.0);
}
