//! Helpers of the `kiln agent` tests: a real `kiln server` on loopback,
//! the Go program `scrape_target.go` (Debian's golang-go) serving
//! net/http/pprof on a free port, `kiln agent` run on a configuration
//! file with its own endpoint's address read from its log, and the
//! server's merged profiles read back with `kiln query merge`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-agent-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port nothing listens on (free a moment ago).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Kills and reaps a child when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads a child's stderr on a thread: sends the first line containing
/// `marker` and keeps every line for when the test fails.
fn watch_log(stderr: impl Read + Send + 'static, marker: &'static str) -> (mpsc::Receiver<String>, Arc<Mutex<String>>) {
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(Mutex::new(String::new()));
    let kept = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(marker) {
                let _ = tx.send(line.clone());
            }
            let mut log = kept.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    (rx, log)
}

/// `kiln server` on a free loopback port, its data under `dir`.
pub struct Server {
    pub url: String,
    _child: Killed,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
        command.args(["server", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir.join("server-data"));
        command.env("NO_COLOR", "1").stderr(Stdio::piped()).stdout(Stdio::null());
        let mut child = command.spawn().expect("kiln server starts");
        let (lines, _) = watch_log(child.stderr.take().unwrap(), "listening on ");
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("the server logs its address");
        let address = line.split("listening on ").nth(1).unwrap().split(',').next().unwrap().trim().to_owned();
        Server { url: format!("http://{address}"), _child: Killed(child) }
    }

    /// The merged profile of `profile_type` over the series `selector`
    /// picks, as folded stacks.
    pub fn folded(&self, profile_type: &str, selector: &str) -> BTreeMap<String, i64> {
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["query", "merge", "--url", &self.url, "--query", selector, "--output-format", "folded"])
            .args(["--profile-type", profile_type])
            .output()
            .expect("run kiln query");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().filter_map(|l| l.rsplit_once(' ')).map(|(s, v)| (s.to_owned(), v.parse().unwrap())).collect()
    }

    /// The total of the stacks of `folded` through a frame named `function`.
    pub fn total_in(&self, profile_type: &str, selector: &str, function: &str) -> i64 {
        let stacks = self.folded(profile_type, selector);
        stacks.iter().filter(|(s, _)| s.split(';').any(|f| f.contains(function))).map(|(_, v)| v).sum()
    }
}

/// `scrape_target.go` built with Debian's Go, once per test binary.
pub fn scrape_target_exe() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = temp_dir("go");
            let exe = dir.join("scrape_target");
            let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/scrape_target.go");
            let status = Command::new("go")
                .args(["build", "-o"])
                .arg(&exe)
                .arg(program)
                .env("GOCACHE", std::env::temp_dir().join("kiln-agent-gocache"))
                .status()
                .expect("run go build (install Debian's golang-go: apt-get install golang-go)");
            assert!(status.success());
            exe
        })
        .clone()
}

/// The Go program serving pprof on a free port; killed when dropped.
pub struct GoTarget {
    pub address: String,
    _child: Killed,
}

impl GoTarget {
    pub fn start() -> GoTarget {
        let port = free_port();
        let mut child = Command::new(scrape_target_exe())
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scrape_target");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "listening");
        GoTarget { address: format!("127.0.0.1:{port}"), _child: Killed(child) }
    }

    /// The bytes allocInKilnScrape allocated so far, as the program counts them.
    pub fn allocated(&self) -> i64 {
        let (status, body) = http_get(&self.address, "/allocated");
        assert_eq!(status, 200);
        body.trim().parse().unwrap()
    }
}

/// `kiln agent` on a configuration file; stopped with SIGTERM by [`Agent::stop`].
pub struct Agent {
    /// Where its `/ready` and `/metrics` are served.
    pub address: String,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
}

impl Agent {
    /// Writes `config` (whose `[agent]` listens on port 0) to `dir` and starts the agent on it.
    pub fn start(dir: &Path, config: &str) -> Agent {
        let path = dir.join("agent.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("agent")
            .arg("--config")
            .arg(&path)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start kiln agent");
        let (lines, log) = watch_log(child.stderr.take().unwrap(), "listening on ");
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("the agent logs its address");
        let address = line.split("listening on ").nth(1).unwrap().trim().to_owned();
        Agent { address, child: Some(child), log }
    }

    /// The value of the `/metrics` series `name{job="JOB"}`.
    pub fn metric(&self, name: &str, job: &str) -> u64 {
        let (status, text) = http_get(&self.address, "/metrics");
        assert_eq!(status, 200);
        let series = format!("{name}{{job=\"{job}\"}} ");
        let line = text.lines().find_map(|l| l.strip_prefix(&series)).unwrap_or_else(|| panic!("{series} in {text}"));
        line.trim().parse().unwrap()
    }

    /// Sends SIGTERM and waits; returns its exit status and its log.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let child = self.child.take().unwrap();
        let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let Output { status, .. } = child.wait_with_output().unwrap();
        // The log thread ends with the pipe.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        eprintln!("{log}");
        (status, log)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("{}", self.log.lock().unwrap());
        }
    }
}

/// A plain HTTP/1.0 GET on loopback: the status and the body.
pub fn http_get(address: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_owned())
}

/// Polls `check` every 200 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    check()
}
