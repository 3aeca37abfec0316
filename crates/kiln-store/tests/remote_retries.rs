//! The S3 client `remote::object_store_from_url` builds, against a small
//! S3 endpoint on loopback that fails on cue: 5xx answers and requests
//! that hang past the timeout are retried with backoff until the write
//! lands, and a write that keeps failing fails the ingest (the server
//! answers it 503), never acknowledging it.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kiln_store::remote::{object_store_from_url, RemoteOptions};
use kiln_store::{ErrorKind, Store};
use object_store::{BackoffConfig, RetryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the endpoint does with one PUT.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Put {
    Ok,
    ServiceUnavailable,
    /// Answers nothing for longer than the client's timeout.
    Hang,
}

/// The endpoint's script and what it saw.
#[derive(Default)]
struct Script {
    /// The next PUTs' fates; after it runs out, `then`.
    puts: VecDeque<Put>,
    then: Option<Put>,
    puts_seen: usize,
    stored: usize,
}

async fn serve(listener: TcpListener, script: Arc<Mutex<Script>>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else { return };
        tokio::spawn(connection(conn, script.clone()));
    }
}

/// Answers requests on one connection until it closes: an empty listing
/// for GET, the scripted fate for PUT.
async fn connection(mut conn: TcpStream, script: Arc<Mutex<Script>>) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 65536];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..head_end + length);
        let response = if head.starts_with("PUT ") {
            let fate = {
                let mut s = script.lock().unwrap();
                s.puts_seen += 1;
                let fate = s.puts.pop_front().or(s.then).unwrap_or(Put::Ok);
                s.stored += usize::from(fate == Put::Ok);
                fate
            };
            match fate {
                Put::Ok => "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n".to_owned(),
                Put::ServiceUnavailable => {
                    let body = "<Error><Code>SlowDown</Code><Message>busy</Message></Error>";
                    format!("HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                }
                Put::Hang => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    return;
                }
            }
        } else {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        };
        if conn.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A store on a scripted endpoint, retrying quickly.
async fn store_on(script: Script) -> (Store, Arc<Mutex<Script>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let script = Arc::new(Mutex::new(script));
    tokio::spawn(serve(listener, script.clone()));
    let options = RemoteOptions {
        endpoint: Some(endpoint),
        region: Some("test".into()),
        path_style: true,
        access_key_id: Some("key".into()),
        secret_access_key: Some("secret".into()),
        retry: RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
                base: 2.0,
            },
            max_retries: 4,
            retry_timeout: Duration::from_secs(10),
        },
        timeout: Duration::from_millis(500),
        ..RemoteOptions::default()
    };
    let object_store = object_store_from_url("s3://bucket/kiln", &options).unwrap();
    let clock = TestClock::new(T0);
    (Store::open(object_store, config(&clock)).await.unwrap(), script)
}

fn one_profile() -> Vec<kiln_store::IngestProfile> {
    vec![ingest_one(1, T0, labels("api", &[]), profile(&[("main", 1)]))]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_answered_5xx_or_timing_out_is_retried_until_it_lands() {
    let fates = [Put::ServiceUnavailable, Put::Hang, Put::ServiceUnavailable].into();
    let (store, script) = store_on(Script { puts: fates, ..Script::default() }).await;
    store.ingest("t", one_profile()).await.expect("acknowledged once the retry landed");
    let s = script.lock().unwrap();
    assert_eq!((s.puts_seen, s.stored), (4, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_that_keeps_failing_fails_the_ingest_as_a_storage_error() {
    let (store, script) = store_on(Script { then: Some(Put::ServiceUnavailable), ..Script::default() }).await;
    let e = store.ingest("t", one_profile()).await.expect_err("never acknowledged");
    assert_eq!(e.kind, ErrorKind::Storage, "{e}");
    assert!(e.message.contains("answered 503 Service Unavailable"), "the reason: {e}");
    assert!(!e.message.contains("127.0.0.1"), "no endpoint in what the client sees: {e}");
    let s = script.lock().unwrap();
    assert_eq!((s.puts_seen, s.stored), (5, 0), "the first try and 4 retries");
}
