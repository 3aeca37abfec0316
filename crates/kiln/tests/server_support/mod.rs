//! A real `kiln server` process for the connection tests: spawned with its
//! settings in `KILN_*` variables, optionally under an open-file limit set
//! by `prlimit`, its port read from its log, stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    data_dir: PathBuf,
}

impl Server {
    /// Starts `kiln server` on a free loopback port with `env` set, under
    /// `nofile` as both the soft and hard open-file limit when given.
    pub fn start(tag: &str, env: &[(&str, &str)], nofile: Option<u64>) -> Server {
        let data_dir = std::env::temp_dir().join(format!("kiln-conn-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let mut command = match nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(env!("CARGO_BIN_EXE_kiln"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_kiln")),
        };
        command.args(["server", "--listen", "127.0.0.1:0", "--data-dir"]).arg(&data_dir);
        command.envs(env.iter().copied()).env("NO_COLOR", "1").stderr(Stdio::piped()).stdout(Stdio::null());
        let mut child = command.spawn().expect("kiln server starts");
        let addr = listening_addr(child.stderr.take().unwrap());
        Server { addr, child, data_dir }
    }

    /// The server's process id (for the tests that sample it; the
    /// connection tests do not use it).
    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a service manager stops the server.
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// The exit status, or `None` if the process is still running after `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Reads the log until the line naming the address, then keeps draining it
/// on a thread so the server never blocks on a full pipe.
fn listening_addr(stderr: impl Read + Send + 'static) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.split(',').next().unwrap().trim().to_owned());
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server logs its address");
    addr.parse().unwrap()
}

/// A connection with reads bounded by `limit`.
pub fn connect(addr: SocketAddr, limit: Duration) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(limit)).unwrap();
    stream
}

/// Sends `GET /ready` on `stream`, keeping the connection open, and returns
/// the status line.
pub fn get_ready(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /ready HTTP/1.1\r\nHost: kiln\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("a response before the read timeout"), 1, "closed early");
        head.push(byte[0]);
    }
    let length = String::from_utf8_lossy(&head)
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .unwrap_or(0);
    stream.read_exact(&mut vec![0; length]).unwrap();
    String::from_utf8_lossy(&head).lines().next().unwrap().to_owned()
}

/// How long until the server closes `stream` (a read returns 0 or fails
/// with a reset); `None` if it is still open when the read timeout passes.
pub fn time_to_close(stream: &mut TcpStream) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(start.elapsed()),
            Err(_) => return None,
        }
    }
}
