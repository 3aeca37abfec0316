//! TLS from certificate and key files: the server answers over TLS, and
//! serves a replaced pair of files from the next handshake on, without a
//! restart; a replaced pair that does not belong together is not served.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use kiln_server::{Config, Running};

/// A self-signed certificate for `localhost`: its DER and PEM, and the key's PEM.
fn certificate() -> (CertificateDer<'static>, String, String) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (generated.cert.der().clone(), generated.cert.pem(), generated.signing_key.serialize_pem())
}

fn write_pair(dir: &Path, cert_pem: &str, key_pem: &str) {
    std::fs::write(dir.join("cert.pem"), cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), key_pem).unwrap();
}

async fn start_with_tls(dir: &Path) -> Running {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let flags: BTreeMap<String, String> = [
        ("listen".to_owned(), "127.0.0.1:0".to_owned()),
        ("data_dir".to_owned(), path("data")),
        ("tls_cert_file".to_owned(), path("cert.pem")),
        ("tls_key_file".to_owned(), path("key.pem")),
    ]
    .into();
    let config = Config::load(None, &BTreeMap::new(), &flags).unwrap();
    kiln_server::start(config, &BTreeMap::new(), false).await.unwrap()
}

/// A TLS connection to `addr` trusting `roots`, offering `alpn`.
async fn tls_connect(
    addr: SocketAddr,
    roots: &[&CertificateDer<'static>],
    alpn: &[u8],
) -> TlsStream<tokio::net::TcpStream> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add((*root).clone()).unwrap();
    }
    #[allow(deprecated)] // ring, as the server uses it
    let provider = Arc::new(ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

/// Asks for `/ready` over HTTP/1.1 and TLS; the certificate the server
/// showed and the status line.
async fn ready_over_tls(addr: SocketAddr, roots: &[&CertificateDer<'static>]) -> (CertificateDer<'static>, String) {
    let mut tls = tls_connect(addr, roots, b"http/1.1").await;
    let shown = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    tls.write_all(b"GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    let _ = tls.read_to_string(&mut response).await;
    (shown, response.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_the_files_and_a_replaced_pair_from_the_next_handshake_on() {
    let dir = tempfile::tempdir().unwrap();
    let (first, first_cert, first_key) = certificate();
    write_pair(dir.path(), &first_cert, &first_key);
    let running = start_with_tls(dir.path()).await;
    let (second, second_cert, second_key) = certificate();
    let roots = [&first, &second];
    let (shown, status) = ready_over_tls(running.addr, &roots).await;
    assert_eq!((shown, status.as_str()), (first.clone(), "HTTP/1.1 200 OK"));
    write_pair(dir.path(), &second_cert, &second_key);
    let (shown, status) = ready_over_tls(running.addr, &roots).await;
    assert_eq!((shown, status.as_str()), (second, "HTTP/1.1 200 OK"));
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_certificate_without_its_key_leaves_the_last_good_pair_served() {
    let dir = tempfile::tempdir().unwrap();
    let (first, first_cert, first_key) = certificate();
    write_pair(dir.path(), &first_cert, &first_key);
    let running = start_with_tls(dir.path()).await;
    let (second, second_cert, _) = certificate();
    write_pair(dir.path(), &second_cert, &first_key);
    let (shown, status) = ready_over_tls(running.addr, &[&first, &second]).await;
    assert_eq!((shown, status.as_str()), (first, "HTTP/1.1 200 OK"));
    running.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_over_tls_is_chosen_by_alpn_as_grpc_clients_connect() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, cert_pem, key_pem) = certificate();
    write_pair(dir.path(), &cert_pem, &key_pem);
    let running = start_with_tls(dir.path()).await;
    let tls = tls_connect(running.addr, &[&cert], b"h2").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let io = hyper_util::rt::TokioIo::new(tls);
    let (mut client, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get("https://localhost/ready").body(http_body_util::Empty::<bytes::Bytes>::new());
    let response = client.send_request(req.unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    running.shutdown().await.unwrap();
}
