//! A plain HTTP/1.0 GET over loopback, enough to poll Garage's admin API
//! (`/health`, `/metrics`) without an HTTP client crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::Error;

/// `GET path` on `addr`: the status code and the body. Connecting, sending
/// and reading are each bounded by `limit`.
pub fn http_get(addr: SocketAddr, path: &str, limit: Duration) -> Result<(u16, String), Error> {
    let what = format!("GET http://{addr}{path}");
    let mut stream = TcpStream::connect_timeout(&addr, limit).map_err(Error::io(&what))?;
    stream.set_read_timeout(Some(limit)).map_err(Error::io(&what))?;
    stream.set_write_timeout(Some(limit)).map_err(Error::io(&what))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(Error::io(&what))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(Error::io(&what))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status = status.ok_or_else(|| Error::Unexpected { what, answer: head.to_owned() })?;
    Ok((status, body.to_owned()))
}
