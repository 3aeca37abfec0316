//! A real Garage cluster on loopback: one `garage server` process per node,
//! each with its own config, metadata and data directories under one
//! temporary directory, connected, given a layout (one zone per node), with
//! one bucket and one read/write key. Everything is polled for readiness
//! with a bound, and killed and removed on drop.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{http_get, Error};

/// The S3 region every node answers to.
pub const REGION: &str = "garage";
/// Capacity each node declares in the layout (the data is tiny).
const NODE_CAPACITY: &str = "1G";
/// Bound on each readiness wait.
const READY_LIMIT: Duration = Duration::from_secs(60);
/// Bound on one `garage` CLI call.
const CLI_LIMIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);
/// What `/health` says once every node of the layout is connected.
const FULLY_OPERATIONAL: &str = "fully operational";

/// The access key the cluster's bucket is open to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// One node: its config file, addresses and, while it runs, its process.
struct Node {
    config: PathBuf,
    log: PathBuf,
    rpc: SocketAddr,
    s3: SocketAddr,
    admin: SocketAddr,
    process: Option<Child>,
}

/// A running Garage cluster; dropping it kills every node and removes
/// their directories.
pub struct GarageCluster {
    nodes: Vec<Node>,
    bin: PathBuf,
    bucket: String,
    credentials: Credentials,
    dir: tempfile::TempDir,
}

/// The `garage` binary: `KILN_GARAGE_BIN`, else where `scripts/test.sh`
/// installs it (`~/.cache/kiln/garage/bin/garage`).
pub fn garage_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KILN_GARAGE_BIN") {
        return bin.into();
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache/kiln/garage/bin/garage")
}

impl GarageCluster {
    /// Starts `nodes` Garage processes storing every object `replication`
    /// times (`consistent` mode: quorum reads and writes), and returns once
    /// every node reports the cluster fully operational and the bucket
    /// `kiln` exists with a read/write key.
    pub fn start(nodes: usize, replication: usize) -> Result<GarageCluster, Error> {
        let bin = garage_bin();
        if !bin.is_file() {
            return Err(Error::MissingBinary(bin));
        }
        let dir = tempfile::Builder::new().prefix("kiln-garage-").tempdir().map_err(Error::io("temporary dir"))?;
        let ports = free_ports(nodes * 3)?;
        let secret = random_hex(32)?;
        let admin_token = random_hex(16)?;
        let mut cluster = GarageCluster {
            nodes: Vec::with_capacity(nodes),
            bin,
            bucket: "kiln".to_owned(),
            credentials: Credentials {
                access_key_id: format!("GK{}", random_hex(12)?),
                secret_access_key: random_hex(32)?,
            },
            dir,
        };
        for (i, p) in ports.chunks(3).enumerate() {
            let node_dir = cluster.dir.path().join(format!("node{i}"));
            let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
            let (rpc, s3, admin) = (loopback(p[0]), loopback(p[1]), loopback(p[2]));
            let config = node_config(&node_dir, replication, &secret, &admin_token, rpc, s3, admin);
            fs::create_dir_all(&node_dir).map_err(Error::io("node dir"))?;
            let config_path = node_dir.join("garage.toml");
            fs::write(&config_path, config).map_err(Error::io("garage.toml"))?;
            let log = node_dir.join("garage.log");
            cluster.nodes.push(Node { config: config_path, log, rpc, s3, admin, process: None });
            cluster.spawn(i)?;
        }
        for i in 0..nodes {
            cluster.wait(&format!("node {i}'s admin API"), || Ok(cluster.health(i)?.is_some()))?;
        }
        cluster.form()?;
        Ok(cluster)
    }

    /// Connects the nodes, gives each its own zone, applies the layout and
    /// makes the bucket and key.
    fn form(&self) -> Result<(), Error> {
        let mut ids = Vec::new();
        for i in 0..self.nodes.len() {
            ids.push(self.cli(i, &["node", "id", "-q"])?.trim().to_owned());
        }
        for id in &ids[1..] {
            self.cli(0, &["node", "connect", id])?;
        }
        for (i, id) in ids.iter().enumerate() {
            let hex = id.split('@').next().unwrap_or(id);
            self.cli(0, &["layout", "assign", "-z", &format!("dc{}", i + 1), "-c", NODE_CAPACITY, hex])?;
        }
        self.cli(0, &["layout", "apply", "--version", "1"])?;
        for i in 0..self.nodes.len() {
            self.wait_operational(i)?;
        }
        let Credentials { access_key_id, secret_access_key } = &self.credentials;
        self.cli(0, &["key", "import", "-n", "kiln", "--yes", access_key_id, secret_access_key])?;
        self.cli(0, &["bucket", "create", &self.bucket])?;
        self.cli(0, &["bucket", "allow", "--read", "--write", "--owner", &self.bucket, "--key", access_key_id])?;
        Ok(())
    }

    /// The S3 endpoint of node `i`, `http://127.0.0.1:PORT`.
    pub fn s3_endpoint(&self, i: usize) -> String {
        format!("http://{}", self.nodes[i].s3)
    }

    /// The admin API address of node `i` (`/health`, `/metrics`).
    pub fn admin_addr(&self, i: usize) -> SocketAddr {
        self.nodes[i].admin
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for a client process.
    pub fn aws_env(&self) -> [(&'static str, String); 2] {
        [
            ("AWS_ACCESS_KEY_ID", self.credentials.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.credentials.secret_access_key.clone()),
        ]
    }

    /// Kills node `i` with SIGKILL, as a crash would, and reaps it.
    pub fn kill_node(&mut self, i: usize) -> Result<(), Error> {
        let node = self.nodes.get_mut(i).ok_or(Error::NoSuchNode(i))?;
        if let Some(mut child) = node.process.take() {
            child.kill().map_err(Error::io(format!("SIGKILL node {i}")))?;
            child.wait().map_err(Error::io(format!("reap node {i}")))?;
        }
        Ok(())
    }

    /// Starts node `i` again over its directories and waits until every
    /// running node reports the cluster fully operational.
    pub fn restart_node(&mut self, i: usize) -> Result<(), Error> {
        self.kill_node(i)?;
        self.spawn(i)?;
        for n in (0..self.nodes.len()).filter(|&n| self.is_running(n)) {
            self.wait_operational(n)?;
        }
        Ok(())
    }

    /// Whether node `i`'s process is running.
    pub fn is_running(&self, i: usize) -> bool {
        self.nodes.get(i).is_some_and(|n| n.process.is_some())
    }

    /// The S3 requests the running nodes have served so far, summed from
    /// each node's `api_s3_request_counter` metric (every endpoint, errors
    /// included).
    pub fn s3_requests(&self) -> Result<u64, Error> {
        let mut total = 0;
        for node in self.nodes.iter().filter(|n| n.process.is_some()) {
            let (status, body) = http_get(node.admin, "/metrics", CLI_LIMIT)?;
            if status != 200 {
                return Err(Error::Unexpected { what: format!("/metrics on {}", node.admin), answer: body });
            }
            total += counter_sum(&body, "api_s3_request_counter");
        }
        Ok(total)
    }

    fn spawn(&mut self, i: usize) -> Result<(), Error> {
        let node = &mut self.nodes[i];
        let log = File::options().create(true).append(true).open(&node.log).map_err(Error::io("node log"))?;
        let err_log = log.try_clone().map_err(Error::io("node log"))?;
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&node.config)
            .arg("server")
            .env("RUST_LOG", "garage=warn,garage_api_s3=warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .spawn()
            .map_err(Error::io(format!("start {}", self.bin.display())))?;
        node.process = Some(child);
        Ok(())
    }

    /// Node `i`'s `/health` answer: `None` while its admin API does not
    /// answer, else whether it says the cluster is fully operational.
    fn health(&self, i: usize) -> Result<Option<bool>, Error> {
        match http_get(self.nodes[i].admin, "/health", POLL * 10) {
            Ok((status, body)) => Ok(Some(status == 200 && body.contains(FULLY_OPERATIONAL))),
            Err(Error::Io { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn wait_operational(&self, i: usize) -> Result<(), Error> {
        self.wait(&format!("node {i} fully operational"), || Ok(self.health(i)? == Some(true)))
    }

    /// Polls `ready` until it holds, for at most [`READY_LIMIT`]; fails at
    /// once if a node process has exited.
    fn wait(&self, what: &str, mut ready: impl FnMut() -> Result<bool, Error>) -> Result<(), Error> {
        let start = Instant::now();
        while start.elapsed() < READY_LIMIT {
            if ready()? {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
        Err(Error::Timeout { what: what.to_owned(), seconds: READY_LIMIT.as_secs(), logs: self.logs() })
    }

    /// `garage -c <node i's config> args...`, bounded: its stdout.
    fn cli(&self, i: usize, args: &[&str]) -> Result<String, Error> {
        let out = Command::new("timeout")
            .args(["--kill-after=5", &CLI_LIMIT.as_secs().to_string()])
            .arg(&self.bin)
            .arg("-c")
            .arg(&self.nodes[i].config)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .map_err(Error::io(format!("run {}", self.bin.display())))?;
        if !out.status.success() {
            let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            return Err(Error::Command { args: args.join(" "), status: out.status.to_string(), output });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The last lines of every node's log, for a failure message.
    fn logs(&self) -> String {
        let mut all = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let text = fs::read_to_string(&node.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            let _ = writeln!(all, "--- node {i} ({}) ---", node.rpc);
            for line in tail.into_iter().rev() {
                let _ = writeln!(all, "{line}");
            }
        }
        all
    }

    /// The directory holding every node's files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for GarageCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.process.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn node_config(
    dir: &Path,
    replication: usize,
    secret: &str,
    admin_token: &str,
    rpc: SocketAddr,
    s3: SocketAddr,
    admin: SocketAddr,
) -> String {
    let dir = dir.display();
    format!(
        r#"metadata_dir = "{dir}/meta"
data_dir = "{dir}/data"
db_engine = "lmdb"
replication_factor = {replication}
consistency_mode = "consistent"
rpc_bind_addr = "{rpc}"
rpc_public_addr = "{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "{s3}"

[admin]
api_bind_addr = "{admin}"
admin_token = "{admin_token}"
"#
    )
}

/// `n` distinct loopback ports free at the time of the call (all bound at
/// once, then released).
fn free_ports(n: usize) -> Result<Vec<u16>, Error> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(Error::io("reserve a loopback port"))?;
    listeners.iter().map(|l| Ok(l.local_addr().map_err(Error::io("local addr"))?.port())).collect()
}

/// `bytes` random bytes from the kernel, hex encoded.
fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).map_err(Error::io("/dev/urandom"))?;
    Ok(buf.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// The sum of every sample of the Prometheus counter `name` in `text`.
fn counter_sum(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with([' ', '{'])))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_sum_adds_every_labelled_sample_of_that_counter_only() {
        let text = "# HELP api_s3_request_counter x\n\
                    api_s3_request_counter{api_endpoint=\"PutObject\"} 7\n\
                    api_s3_request_counter{api_endpoint=\"GetObject\"} 5\n\
                    api_s3_request_counter_total 100\n\
                    api_s3_error_counter{api_endpoint=\"GetObject\"} 2\n";
        assert_eq!(counter_sum(text, "api_s3_request_counter"), 12);
    }
}
