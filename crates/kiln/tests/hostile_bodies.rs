//! Issue 15 regressions against a spawned `kiln server` process: the
//! 255 KB amplification bodies on `/ingest` (pprof), Push (`raw_profile`)
//! and OTLP answer 4xx while the server's peak RSS (`VmHWM`) stays under
//! 200 MB, and eight 14 MB folded bodies in flight leave `/ready`
//! answering within 100 ms. The server runs under a 3 GiB address-space
//! limit so a regression fails the test instead of taxing the machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_api::pb::push::{PushRequest, RawProfileSeries, RawSample};
use prost::Message;

struct Server {
    child: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(name: &str) -> Server {
        let dir = std::env::temp_dir().join(format!("kiln-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut child = Command::new("prlimit")
            .args(["--as=3221225472", "--", env!("CARGO_BIN_EXE_kiln"), "server", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&dir)
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the server logs its address").unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split(',').next().unwrap().trim().parse().unwrap();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr, dir }
    }

    /// Peak resident memory so far, in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 request; the status code.
fn request(addr: SocketAddr, method: &str, path: &str, content_type: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before it has read the whole body.
    let _ = s.write_all(body);
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// 250 MiB of one repeated two-byte field, as 250 gzip members of 1 MiB
/// each: 255 KB on the wire, as in the issue.
fn bomb(pair: [u8; 2]) -> Vec<u8> {
    let member = kiln_model::gzip::gzip(&pair.repeat(512 << 10));
    member.repeat(250)
}

#[test]
fn amplification_bodies_answer_4xx_within_200_mb_of_peak_rss() {
    let server = Server::start("bombs");
    let pprof = bomb([0x12, 0x00]);
    assert!(pprof.len() < 300_000, "{} bytes", pprof.len());
    let push = PushRequest {
        series: vec![RawProfileSeries {
            labels: vec![],
            samples: vec![RawSample { raw_profile: pprof.clone(), id: String::new() }],
        }],
    }
    .encode_to_vec();
    let routes = [
        ("/ingest?name=app&format=pprof", "application/octet-stream", pprof),
        ("/push.v1.PusherService/Push", "application/proto", push),
        ("/v1development/profiles", "application/x-protobuf", bomb([0x0a, 0x00])),
    ];
    for (path, ct, body) in &routes {
        let status = request(server.addr, "POST", path, ct, body);
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let peak = server.peak_rss();
    assert!(peak < 200 << 20, "peak RSS {} MB", peak >> 20);
    assert_eq!(request(server.addr, "GET", "/ready", "text/plain", b""), 200);
}

#[test]
fn eight_14_mb_folded_bodies_in_flight_leave_ready_under_100_ms() {
    let server = Server::start("folded");
    let line = "main;work;compute;a_rather_long_function_name_to_fill_the_line 1\n";
    let body = line.repeat((14 << 20) / line.len()).into_bytes();
    let addr = server.addr;
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || request(addr, "POST", "/ingest?name=app.cpu", "text/plain", &body))
        })
        .collect();
    let mut slowest = Duration::ZERO;
    while !senders.iter().all(|s| s.is_finished()) {
        let started = Instant::now();
        assert_eq!(request(addr, "GET", "/ready", "text/plain", b""), 200);
        slowest = slowest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    for s in senders {
        let status = s.join().unwrap();
        assert!((400..500).contains(&status), "a 14 MB profile is over the 4 MiB limit: {status}");
    }
    assert!(slowest < Duration::from_millis(100), "/ready took {slowest:?}");
}
