//! What every end-to-end test of this crate starts with: a real server on a
//! free loopback port, data in a temporary directory, timestamps of any age
//! accepted (fixtures were recorded before today).

#![allow(dead_code)] // each test binary uses its own share of these helpers

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;

use prost::Message;

use kiln_server::{Config, Running};

pub async fn start_on_loopback(data_dir: &Path) -> Running {
    start_on_loopback_with(data_dir, "").await
}

/// The same with a configuration file's text (auth keys, ...).
pub async fn start_on_loopback_with(data_dir: &Path, file: &str) -> Running {
    let flags: BTreeMap<String, String> =
        [("listen", "127.0.0.1:0"), ("data_dir", data_dir.to_str().unwrap()), ("reject_older_than", "0")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let config = Config::load(Some(file), &BTreeMap::new(), &flags).unwrap();
    kiln_server::start(config, &BTreeMap::new(), false).await.unwrap()
}

/// One HTTP/1.1 request; the status and the raw body (never chunked).
pub fn http(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let (status, head, body) = exchange(addr, path, headers, body);
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    (status, body)
}

/// One HTTP/1.1 POST; the status, the header block (lower case) and the raw body.
pub fn exchange(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("POST {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    s.write_all(format!("{req}\r\n").as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block") + 4;
    let head = String::from_utf8_lossy(&resp[..split]).to_ascii_lowercase();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), head, resp[split..].to_vec())
}

/// A unary Connect call as connect-go makes it with the proto codec.
pub fn connect<Resp: Message + Default>(
    addr: SocketAddr,
    tenant: &str,
    method: &str,
    req: &impl Message,
) -> Result<Resp, String> {
    let headers = [
        ("Content-Type", "application/proto"),
        ("Connect-Protocol-Version", "1"),
        ("Accept-Encoding", "gzip"),
        ("User-Agent", "connect-go/1.18.1 (go1.24.1)"),
        ("X-Scope-OrgID", tenant),
    ];
    let (status, body) = http(addr, &format!("/querier.v1.QuerierService/{method}"), &headers, &req.encode_to_vec());
    if status != 200 {
        return Err(format!("{status} {}", String::from_utf8_lossy(&body)));
    }
    Ok(Resp::decode(body.as_slice()).unwrap())
}
