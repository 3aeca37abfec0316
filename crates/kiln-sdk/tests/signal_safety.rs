//! The sampler runs while threads allocate and take locks as fast as they
//! can: a handler that allocated or locked would, sooner or later,
//! interrupt a thread holding the allocator's or the mutex's lock and wait
//! for it forever. The threads must finish, the samples must be taken and
//! pushed (with the configured credentials and tenant) to an HTTP server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A minimal HTTP/1.1 server answering 200 to every request; sends each
/// request's header lines on the channel.
fn recording_server() -> (String, mpsc::Receiver<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let (Ok(stream), tx) = (stream, tx.clone()) else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut headers = Vec::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            break;
                        }
                        headers.push(line.trim().to_owned());
                    }
                    let length = headers
                        .iter()
                        .find_map(|h| {
                            h.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let _ = tx.send(headers);
                    writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
                }
            });
        }
    });
    (url, rx)
}

/// Allocates, frees and locks in a loop for `run_for`.
fn allocate_and_lock(shared: &Mutex<Vec<String>>, run_for: Duration) -> u64 {
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < run_for {
        for i in 0..64u64 {
            let mut v: Vec<u64> = Vec::with_capacity((i as usize * 37) % 4096 + 1);
            v.extend(0..i);
            let text = format!("{rounds}-{i}-{}", v.len());
            let mut guard = shared.lock().unwrap();
            guard.push(text);
            if guard.len() > 1000 {
                guard.clear();
                guard.shrink_to_fit();
            }
        }
        rounds += 1;
    }
    rounds
}

#[test]
fn sampling_threads_that_allocate_and_lock_nonstop_neither_deadlocks_nor_loses_the_push() {
    let (url, requests) = recording_server();
    let agent = kiln_sdk::Agent::builder(&url, "signal-safety")
        .sample_rate(1000)
        .upload_interval(Duration::from_millis(500))
        .bearer("t0ken")
        .tenant("tenant-a")
        .start()
        .unwrap();
    let shared = Arc::new(Mutex::new(Vec::new()));
    let (done, finished) = mpsc::channel();
    for thread in 0..3 {
        let (shared, done) = (Arc::clone(&shared), done.clone());
        std::thread::spawn(move || {
            let rounds = kiln_sdk::tag_scope(&[("thread", &thread.to_string())], || {
                allocate_and_lock(&shared, Duration::from_secs(4))
            });
            done.send(rounds).unwrap();
        });
    }
    for _ in 0..3 {
        let Ok(rounds) = finished.recv_timeout(Duration::from_secs(120)) else {
            // A deadlocked thread may hold the allocator's lock, so a panic
            // (which allocates) could hang too: fail without allocating.
            let _ = std::io::stderr().write_all(b"a thread deadlocked under SIGPROF\n");
            std::process::abort();
        };
        assert!(rounds > 0);
    }
    let stats = agent.stop().unwrap();
    assert!(stats.samples >= 50, "{stats:?}");
    assert_eq!((stats.pushes_failed, stats.samples_dropped), (0, 0), "{stats:?}");
    assert!(stats.profiles_pushed >= 3, "one profile per thread's tag set at least: {stats:?}");
    let headers: Vec<String> = requests.try_iter().flatten().map(|h| h.to_ascii_lowercase()).collect();
    for expected in [
        "post /push.v1.pusherservice/push http/1.1",
        "authorization: bearer t0ken",
        "x-scope-orgid: tenant-a",
        "content-type: application/proto",
        "content-encoding: gzip",
    ] {
        assert!(headers.iter().any(|h| h == expected), "{expected:?} in {headers:?}");
    }
}
