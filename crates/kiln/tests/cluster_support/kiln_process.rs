//! A real `kiln server` process in one role, its log kept in a file (read
//! for its address and by failure messages), SIGKILLed when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct KilnProcess {
    pub name: String,
    pub addr: SocketAddr,
    child: Option<Child>,
    log: PathBuf,
}

impl KilnProcess {
    /// Starts `kiln server --config <dir>/<name>.toml --listen 127.0.0.1:0
    /// --data-dir <dir>/<name> args...` with `env` set, and waits (bounded)
    /// for the address it logs.
    pub fn start(dir: &Path, name: &str, config: &str, args: &[&str], env: &[(&str, String)]) -> KilnProcess {
        let config_path = dir.join(format!("{name}.toml"));
        std::fs::write(&config_path, config).unwrap();
        let log = dir.join(format!("{name}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("server")
            .arg("--config")
            .arg(&config_path)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join(name))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kiln server starts");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let mut file = std::fs::File::create(&log).unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(file, "{line}");
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.split(',').next().unwrap().trim().to_owned());
                }
            }
        });
        let mut process =
            KilnProcess { name: name.to_owned(), addr: ([0, 0, 0, 0], 0).into(), child: Some(child), log };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => process.addr = addr.parse().unwrap(),
            Err(_) => panic!("{name} never logged its address:\n{}", process.log_text()),
        }
        process
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL, as a crash would, and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for KilnProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
