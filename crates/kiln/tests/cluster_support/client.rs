//! What the tests do to a Kiln cluster from outside: folded uploads over
//! HTTP, Pyroscope's Python SDK, and queries with the `kiln query` CLI.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// POSTs one folded profile to `/ingest` for `service`, covering
/// `[from, from + 10)` Unix seconds; the status code, 0 when the server
/// could not be reached.
pub fn post_folded(addr: SocketAddr, service: &str, from: u64, folded: &str) -> u16 {
    let query =
        format!("name={service}.cpu%7Benv%3Dscale%7D&from={from}&until={}&format=folded&sampleRate=100", from + 10);
    let head = format!(
        "POST /ingest?{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
        folded.len()
    );
    let exchange = || -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.write_all(head.as_bytes())?;
        s.write_all(folded.as_bytes())?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)?;
        Ok(answer)
    };
    match exchange() {
        Ok(answer) => String::from_utf8_lossy(&answer).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0),
        Err(_) => 0,
    }
}

/// A folded profile whose stacks name `i`, so every upload is distinct.
pub fn folded_profile(i: u64) -> String {
    format!("main;serve;handler_{};work 1{i}\nmain;serve;idle 7\nmain;gc {}\n", i % 13, i % 5 + 1)
}

/// The merged CPU profile of `query` over `[from, to]` (Unix seconds) as
/// the server at `url` answers `kiln query merge --output-format folded`:
/// stack -> value.
pub fn query_folded(url: &str, query: &str, profile_type: &str, from: u64, to: u64) -> BTreeMap<String, i64> {
    let out = Command::new("timeout")
        .args(["--kill-after=5", "60"])
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .args(["query", "merge", "--url", url, "--query", query, "--profile-type", profile_type])
        .args(["--from", &from.to_string(), "--to", &to.to_string(), "--output-format", "folded"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "kiln query merge on {url}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    text.lines()
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(stack, v)| (stack.to_owned(), v.parse::<i64>().unwrap()))
        .fold(BTreeMap::new(), |mut m, (k, v)| {
            *m.entry(k).or_default() += v;
            m
        })
}

pub const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-server/tests/sdk")
}

/// The venv's python with the SDK's pinned requirements (made by
/// `scripts/test.sh`; made here too when missing).
fn python_sdk() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let venv = home.join(".cache/kiln/sdk-venv");
    let requirements = sdk_dir().join("python/requirements.txt");
    let stamp = venv.join("kiln-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().unwrap().success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "-r"])
                .arg(&requirements)
                .status()
                .unwrap()
                .success();
        assert!(ok, "installing the Python SDK into {}", venv.display());
        std::fs::write(&stamp, wanted).unwrap();
    }
    venv.join("bin/python")
}

/// Runs Pyroscope's Python SDK app (`kiln-sdk-python`, CPU profiles pushed
/// every second) against `url` for `seconds`, bounded.
pub fn run_python_sdk(url: &str, seconds: u32) {
    let app = sdk_dir().join("python/app.py");
    let out = Command::new("timeout")
        .args(["--kill-after=5", "90"])
        .arg(python_sdk())
        .arg(app)
        .arg(url)
        .arg(seconds.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python SDK against {url}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
