//! A loopback HTTP tee: every request a client sends is forwarded to a
//! primary server (whose answer the client gets) and, once the primary has
//! acknowledged it with a 2xx, to a mirror (the single-node reference), so
//! the mirror holds exactly what the primary acknowledged, byte for byte.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Tee {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub acknowledged: Arc<AtomicUsize>,
    /// Requests the primary acknowledged and the mirror refused:
    /// (request line, primary status, mirror status).
    pub disagreements: Arc<Mutex<Vec<(String, u16, u16)>>>,
}

impl Tee {
    pub fn start(primary: SocketAddr, mirror: SocketAddr) -> Tee {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let tee = Tee {
            addr: listener.local_addr().unwrap(),
            stop: Arc::new(AtomicBool::new(false)),
            acknowledged: Arc::new(AtomicUsize::new(0)),
            disagreements: Arc::default(),
        };
        let (stop, acknowledged, disagreements) =
            (tee.stop.clone(), tee.acknowledged.clone(), tee.disagreements.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (acknowledged, disagreements) = (acknowledged.clone(), disagreements.clone());
                        std::thread::spawn(move || {
                            let _ = serve(client, primary, mirror, &acknowledged, &disagreements);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        tee
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// One request per connection: read it whole, forward it to both servers
/// with `Connection: close`, answer the client with the primary's answer.
fn serve(
    client: TcpStream,
    primary: SocketAddr,
    mirror: SocketAddr,
    acknowledged: &AtomicUsize,
    disagreements: &Mutex<Vec<(String, u16, u16)>>,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0usize;
    let mut request_line = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if request_line.is_empty() {
            request_line = line.trim_end().to_owned();
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        assert!(!lower.starts_with("transfer-encoding:"), "the tee only forwards sized bodies: {request_line}");
        if line == "\r\n" {
            break;
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let answer = forward(primary, &head, &body).unwrap_or_default();
    let a = status(&answer);
    if (200..300).contains(&a) {
        let b = forward(mirror, &head, &body).map(|m| status(&m)).unwrap_or(0);
        if (200..300).contains(&b) {
            acknowledged.fetch_add(1, Ordering::SeqCst);
        } else {
            disagreements.lock().unwrap().push((request_line, a, b));
        }
    }
    if answer.is_empty() {
        return Ok(());
    }
    let mut client = client;
    client.write_all(&answer)
}

fn forward(to: SocketAddr, head: &[u8], body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(to)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.write_all(head)?;
    s.write_all(body)?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    Ok(answer)
}

fn status(answer: &[u8]) -> u16 {
    String::from_utf8_lossy(answer).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
