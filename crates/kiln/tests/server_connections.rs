//! Regression tests for connections that took the server down (issue 15):
//! idle and half-sent connections were never closed, 1,100 of them held at
//! an open-file limit of 1,024 made the server unreachable, and SIGTERM
//! waited forever on a client that never finished its body. Each test runs
//! the real `kiln server` binary.

mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use server_support::{connect, get_ready, time_to_close, Server};

#[test]
fn held_connections_past_the_open_file_limit_leave_ready_answering() {
    // Timeouts long enough that only the connection limit can explain an answer.
    let env = [("KILN_HEADER_READ_TIMEOUT", "60s"), ("KILN_IDLE_TIMEOUT", "60s")];
    let server = Server::start("held", &env, Some(1024));
    let held: Vec<TcpStream> = (0..1100).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let status = get_ready(&mut connect(server.addr, Duration::from_secs(5)));
    assert!(status.contains(" 200 "), "{status}");
    assert!(start.elapsed() < Duration::from_secs(2), "/ready took {:?}", start.elapsed());
    drop(held);
}

#[test]
fn sigterm_with_a_half_sent_body_exits_within_the_shutdown_timeout() {
    let env = [("KILN_SHUTDOWN_TIMEOUT", "1s"), ("KILN_BODY_READ_TIMEOUT", "60s")];
    let mut server = Server::start("sigterm", &env, None);
    let _client = half_sent_ingest(&server);
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    server.terminate();
    let exited = server.wait_for_exit(Duration::from_secs(10));
    assert!(exited.is_some(), "still running 10 s after SIGTERM");
    assert!(start.elapsed() < Duration::from_secs(4), "exited after {:?}", start.elapsed());
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let env = [("KILN_IDLE_TIMEOUT", "1s"), ("KILN_HEADER_READ_TIMEOUT", "30s")];
    let server = Server::start("idle", &env, None);
    let mut client = connect(server.addr, Duration::from_secs(10));
    assert!(get_ready(&mut client).contains(" 200 "));
    let closed = time_to_close(&mut client).expect("closed within 10 s");
    assert!(closed >= Duration::from_millis(800) && closed < Duration::from_secs(4), "closed after {closed:?}");
}

#[test]
fn a_slow_header_client_is_cut_after_the_header_timeout() {
    let env = [("KILN_HEADER_READ_TIMEOUT", "1s"), ("KILN_IDLE_TIMEOUT", "60s")];
    let server = Server::start("slowheader", &env, None);
    let mut client = connect(server.addr, Duration::from_millis(100));
    let start = Instant::now();
    client.write_all(b"GET /ready HTTP/1.1\r\n").unwrap();
    let mut closed = None;
    while closed.is_none() && start.elapsed() < Duration::from_secs(10) {
        // One header line every 100 ms: always busy, never done.
        let sent = client.write_all(b"X-Slow: y\r\n");
        closed = (sent.is_err() || time_to_close(&mut client).is_some()).then(|| start.elapsed());
    }
    let closed = closed.expect("cut within 10 s");
    assert!(closed >= Duration::from_millis(800) && closed < Duration::from_secs(4), "cut after {closed:?}");
}

#[test]
fn a_body_sent_too_slowly_gets_408_naming_the_body_read_timeout() {
    let env = [("KILN_BODY_READ_TIMEOUT", "1s")];
    let server = Server::start("slowbody", &env, None);
    let mut client = half_sent_ingest(&server);
    let mut response = Vec::new();
    let _ = client.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("body_read_timeout"), "{response}");
}

/// Sends the head of an ingest and part of its body, leaving it in flight.
fn half_sent_ingest(server: &Server) -> TcpStream {
    let mut client = connect(server.addr, Duration::from_secs(5));
    let head = "POST /ingest?name=app&format=folded HTTP/1.1\r\nHost: kiln\r\nContent-Length: 1000\r\n\r\n";
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(b"main;work 1\n").unwrap();
    client
}

#[test]
fn past_max_connections_the_connection_idle_longest_gives_way() {
    let env = [("KILN_MAX_CONNECTIONS", "2"), ("KILN_IDLE_TIMEOUT", "60s"), ("KILN_HEADER_READ_TIMEOUT", "60s")];
    let server = Server::start("giveway", &env, None);
    let mut oldest = connect(server.addr, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(50));
    let _newer = connect(server.addr, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(50));
    assert!(get_ready(&mut connect(server.addr, Duration::from_secs(5))).contains(" 200 "));
    let closed = time_to_close(&mut oldest).expect("the oldest idle connection is closed");
    assert!(closed < Duration::from_secs(1), "closed after {closed:?}");
}

#[test]
fn past_max_connections_with_every_one_busy_a_new_connection_is_closed_at_once() {
    let env = [("KILN_MAX_CONNECTIONS", "2"), ("KILN_BODY_READ_TIMEOUT", "60s")];
    let server = Server::start("busy", &env, None);
    let _busy = [half_sent_ingest(&server), half_sent_ingest(&server)];
    std::thread::sleep(Duration::from_millis(300));
    let mut refused = connect(server.addr, Duration::from_secs(5));
    let closed = time_to_close(&mut refused).expect("closed at once");
    assert!(closed < Duration::from_secs(1), "closed after {closed:?}");
}
