//! An HTTP/2 connection (h2c, as gRPC clients hold one open between calls)
//! that stays without a request for `idle_timeout` is closed by the server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let flags: BTreeMap<String, String> = [
        ("listen".to_owned(), "127.0.0.1:0".to_owned()),
        ("data_dir".to_owned(), dir.path().to_str().unwrap().to_owned()),
        ("idle_timeout".to_owned(), "500ms".to_owned()),
    ]
    .into();
    let config = kiln_server::Config::load(None, &BTreeMap::new(), &flags).unwrap();
    let running = kiln_server::start(config, &BTreeMap::new(), false).await.unwrap();
    let stream = tokio::net::TcpStream::connect(running.addr).await.unwrap();
    let (mut client, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    let closed = tokio::spawn(conn);
    let req = hyper::Request::get("http://kiln/ready").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
    assert_eq!(client.send_request(req).await.unwrap().status(), 200);
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("closed within 5 s").unwrap().unwrap();
    let after = start.elapsed();
    assert!(after >= Duration::from_millis(400) && after < Duration::from_secs(3), "closed after {after:?}");
    running.shutdown().await.unwrap();
}
