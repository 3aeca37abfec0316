//! Helpers of the `kiln exec` tests: a real `kiln server` on a fixed
//! loopback port that can be stopped and started again on the same port
//! and data directory, `kiln exec` pointed at it, and the server's merged
//! profile read back with `kiln query merge` as folded stacks.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A server on `port` with its data in `data_dir`; stopped when dropped.
pub struct Server {
    pub port: u16,
    data_dir: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// Starts a server on a free port, its data under `dir`.
    pub fn start(dir: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = Server { port, data_dir: dir.join("server-data"), child: None };
        server.restart();
        server
    }

    /// (Re)starts the server process on the same port and data directory,
    /// returning once it listens.
    pub fn restart(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
        command.args(["server", "--listen", &format!("127.0.0.1:{}", self.port), "--data-dir"]).arg(&self.data_dir);
        command.env("NO_COLOR", "1").stderr(Stdio::piped()).stdout(Stdio::null());
        let mut child = command.spawn().expect("kiln server starts");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on ") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30)).expect("the server logs that it listens");
        self.child = Some(child);
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
            assert!(status.success());
            child.wait().unwrap();
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The merged CPU profile of the series `selector` picks, as folded stacks.
    pub fn folded(&self, selector: &str) -> BTreeMap<String, i64> {
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["query", "merge", "--url", &self.url(), "--query", selector, "--output-format", "folded"])
            .args(["--profile-type", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
            .output()
            .expect("run kiln query");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().filter_map(|l| l.rsplit_once(' ')).map(|(s, v)| (s.to_owned(), v.parse().unwrap())).collect()
    }

    /// The values of one label across the server's series.
    pub fn label_values(&self, name: &str) -> Vec<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["query", "labels", "--url", &self.url(), "--label", name])
            .output()
            .expect("run kiln query");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-exec-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of `tests/programs`.
pub fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

/// `three_to_one.c` built as a release C program without frame pointers.
pub fn build_three_to_one(dir: &Path) -> PathBuf {
    let exe = dir.join("three_to_one");
    let status = Command::new("gcc")
        .args(["-O2", "-fomit-frame-pointer", "-o"])
        .arg(&exe)
        .arg(program("three_to_one.c"))
        .status()
        .expect("run gcc");
    assert!(status.success());
    exe
}

/// `kiln exec` pushing to `server` every `interval`, with `flags` before `--`.
pub fn exec(server: &Server, interval: &str, flags: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(["exec", "--server-address", &server.url(), "--upload-interval", interval]).args(flags);
    c.env("RUST_BACKTRACE", "0").stdin(Stdio::null());
    c
}

/// Waits for a spawned `kiln exec`; its stderr is shown when a test fails.
pub fn finish(child: Child) -> Output {
    let out = child.wait_with_output().expect("wait for kiln");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The heavy share (percent of heavy + light) the program measured itself.
pub fn measured_heavy_share(stdout: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(stdout);
    let value = |key: &str| -> f64 {
        let rest = text.split(key).nth(1).unwrap_or_else(|| panic!("{key} printed: {text}"));
        rest.split_whitespace().next().and_then(|v| v.parse().ok()).expect("a number")
    };
    let (heavy, light) = (value("heavy_seconds="), value("light_seconds="));
    100.0 * heavy / (heavy + light)
}

/// Percent of the heavy + light total whose stacks end in `heavy`.
pub fn heavy_share(stacks: &BTreeMap<String, i64>) -> f64 {
    let leaf_total =
        |name: &str| -> i64 { stacks.iter().filter(|(s, _)| s.rsplit(';').next() == Some(name)).map(|(_, v)| v).sum() };
    let (heavy, light) = (leaf_total("heavy"), leaf_total("light"));
    assert!(heavy + light > 0, "neither heavy nor light in {stacks:?}");
    100.0 * heavy as f64 / (heavy + light) as f64
}

/// The `pushed N, dropped M` counts of kiln's last line.
pub fn pushed_and_dropped(stderr: &[u8]) -> (u64, u64) {
    let text = String::from_utf8_lossy(stderr);
    let count = |key: &str| -> u64 {
        let rest = text.rsplit(key).next().unwrap_or_else(|| panic!("{key} in {text}"));
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    (count("pushed "), count("dropped "))
}
