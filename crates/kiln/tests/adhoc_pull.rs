//! `kiln adhoc --url`: a Go program's `net/http/pprof` endpoint scraped
//! while the program runs, or for `--duration` from a server that keeps
//! running, merged into one report; and a clear failure when nothing
//! answers.

mod adhoc_support;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use adhoc_support::{adhoc, entries_ending, folded, names, program, run, share, temp_dir};

/// `pprof_server.go` built with Debian's Go.
fn build_pprof_server(dir: &Path) -> PathBuf {
    let exe = dir.join("pprof_server");
    let status = Command::new("go")
        .env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join("kiln-adhoc-gocache"))
        .args(["build", "-o"])
        .arg(&exe)
        .arg(program("pprof_server.go"))
        .status()
        .expect("run go build (install Debian's golang-go: apt-get install golang-go)");
    assert!(status.success());
    exe
}

/// A loopback port nothing listens on (free a moment ago).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn profile_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/debug/pprof/profile")
}

/// The `N` of the summary's `N scrapes over`.
fn scrapes(stderr: &[u8]) -> usize {
    let text = String::from_utf8_lossy(stderr);
    let before = text.split(" scrapes over").next().expect("a summary line");
    before.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no scrape count: {text}"))
}

/// The pprof server running until the test ends (killed even when an
/// assertion fails).
struct Server(Child);

impl Server {
    /// Starts it on a free port and waits until it listens.
    fn start(dir: &Path) -> (Server, u16) {
        let exe = build_pprof_server(dir);
        let port = free_port();
        let server = Server(Command::new(&exe).args([&port.to_string(), "0"]).stdout(Stdio::null()).spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the server never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        (server, port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn go_pprof_endpoint_scraped_while_the_program_runs_shows_its_hot_function() {
    let dir = temp_dir("pull");
    let exe = build_pprof_server(&dir);
    let port = free_port();
    let mut c = adhoc(&dir);
    c.args(["--url", &profile_url(port), "--format", "folded", "--"]).arg(&exe).args([&port.to_string(), "3"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("burned "), "the program's stdout passes through");
    let html = names(&dir.join("out"));
    assert!(html.iter().any(|n| n.starts_with("pprof_server-") && n.ends_with(".html")), "{html:?}");
    let stacks = folded(&entries_ending(&dir.join("out"), ".folded")[0]);
    let hot = share(&stacks, |f| f == "main.burnCPUInKilnPull");
    assert!(hot > 90.0, "burnCPUInKilnPull {hot:.1}%: {stacks:?}");
    let n = scrapes(&out.stderr);
    assert!((2..=3).contains(&n), "1 s windows over a 3 s run: {n} scrapes");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("kiln: requesting"), "the cut-short scrape is no error");
    assert_eq!(entries_ending(&dir.join("data/kiln/adhoc"), ".pb.gz").len(), 1, "the run is kept in the data dir");
}

#[test]
fn duration_scrapes_a_running_server_for_that_long_and_leaves_it_running() {
    let dir = temp_dir("pull");
    let (mut server, port) = Server::start(&dir);
    let mut c = adhoc(&dir);
    c.args(["--url", &profile_url(port), "--duration", "2s", "--format", "folded"]);
    let started = Instant::now();
    let out = run(c);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(5), "took {took:?}");
    assert!(server.0.try_wait().unwrap().is_none(), "pulling must not stop the server");
    assert_eq!(scrapes(&out.stderr), 2, "two 1 s windows in 2 s");
    let html = names(&dir.join("out"));
    assert!(html.iter().any(|n| n.starts_with("127.0.0.1-") && n.ends_with(".html")), "named after the host: {html:?}");
    let stacks = folded(&entries_ending(&dir.join("out"), ".folded")[0]);
    let hot = share(&stacks, |f| f == "main.burnCPUInKilnPull");
    assert!(hot > 90.0, "burnCPUInKilnPull {hot:.1}%: {stacks:?}");
}

#[test]
fn sigint_ends_pulling_without_a_command_and_the_report_is_written() {
    let dir = temp_dir("pull");
    let (_server, port) = Server::start(&dir);
    let mut c = adhoc(&dir);
    c.args(["--url", &profile_url(port)]).stdin(Stdio::null()).stderr(Stdio::piped());
    let kiln = c.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let status = Command::new("kill").args(["-INT", &kiln.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    let out = kiln.wait_with_output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(3), "the scrape in flight ends, then kiln writes");
    assert!((2..=3).contains(&scrapes(&out.stderr)), "1 s windows over 2.5 s and the one in flight");
    assert_eq!(entries_ending(&dir.join("out"), ".html").len(), 1);
}

#[test]
fn url_where_nothing_listens_fails_at_once_with_the_reason() {
    let dir = temp_dir("pull");
    let url = profile_url(free_port());
    let mut c = adhoc(&dir);
    c.args(["--url", &url, "--duration", "5s"]);
    let started = Instant::now();
    let out = run(c);
    assert_ne!(out.status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(3), "no point waiting for --duration");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("no profile could be scraped from {url}")), "{stderr}");
    assert!(stderr.contains("Connection refused"), "the cause is named: {stderr}");
    assert!(names(&dir.join("out")).is_empty(), "no report without a profile");
}

#[test]
fn url_where_nothing_listens_while_the_command_runs_fails_once_it_exits() {
    let dir = temp_dir("pull");
    let url = profile_url(free_port());
    let mut c = adhoc(&dir);
    c.args(["--url", &url, "--", "sleep", "1"]);
    let started = Instant::now();
    let out = run(c);
    assert_ne!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_secs(1), "kept trying while the command ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("no profile could be scraped from {url}")), "{stderr}");
    assert!(stderr.contains("Connection refused"), "the cause is named: {stderr}");
}
