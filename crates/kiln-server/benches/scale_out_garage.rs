//! Issue #14's figures, all in one run on one machine: Kiln over a real
//! 3-node Garage cluster (replication factor 3, `kiln-testkit`) beside
//! Kiln on local disk.
//!
//! 1. Ingest throughput: the `fleet` (20 services × 5 pods, 800-stack
//!    gzipped pprof) offered `KILN_BENCH_RATE` profiles/s (more than a
//!    server takes here) for `KILN_BENCH_SECONDS` each against: one `kiln
//!    server` on local disk; one ingester on Garage; two ingesters on
//!    Garage (the fleet split between them). Accepted profiles/s, ingest
//!    p50/p99, and S3 requests per accepted profile (Garage's own
//!    `api_s3_request_counter`, summed over its nodes).
//! 2. The merged flame graph of `{}` over 24 h: 24 h of the fleet (one
//!    profile per service every 10 min) written to a local-disk server and
//!    through a Garage ingester (a compactor compacting it), then asked of
//!    the local server and of a Garage querier: first (cold) run and
//!    median of 5.
//!
//! `cargo build --release -p kiln && cargo bench -p kiln-server --bench scale_out_garage`
//! (`KILN_BENCH_SERVER_BIN` another `kiln` binary; `KILN_GARAGE_BIN` the
//! `garage` binary, by default the one `scripts/test.sh` installs).

#[allow(dead_code)] // the other fleet benches use the rest
mod fleet;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fleet::{ms, now_secs, percentile, query, start_fleet, Stats, SERVICES};
use kiln_testkit::GarageCluster;

/// One profile per service every 10 minutes over the last 24 h.
const DAY_SLOTS: u64 = 144;

fn server_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KILN_BENCH_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).unwrap().join("kiln")
}

/// A `kiln server` process, killed on drop.
struct Server {
    name: String,
    addr: SocketAddr,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kiln server` named `name` under `dir` (`args` choose its role
/// and storage) and waits until it accepts connections.
fn spawn(dir: &Path, name: &str, args: &[String], env: &[(&'static str, String)]) -> Server {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, "reject_older_than = \"0\"\n[storage]\nallow_http = true\n").unwrap();
    let child = Command::new(server_bin())
        .args(["server", "--listen", &addr.to_string(), "--config", config.to_str().unwrap(), "--data-dir"])
        .arg(dir.join(name))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", server_bin().display()));
    // Built first, so a server that never listens is killed on the panic.
    let server = Server { name: name.to_owned(), addr, child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{name} did not listen on {addr} in 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// The flags of a node in `role` over `prefix` of the cluster's bucket,
/// through Garage node `node`.
fn on_garage(garage: &GarageCluster, prefix: &str, role: &str, name: &str, node: usize) -> Vec<String> {
    let storage = format!("s3://{}/{prefix}", garage.bucket());
    [
        "--storage",
        &storage,
        "--storage-endpoint",
        &garage.s3_endpoint(node),
        "--storage-region",
        kiln_testkit::REGION,
        "--storage-path-style",
        "--role",
        role,
        "--node-id",
        name,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The fleet offered `rate` profiles/s split evenly over `targets` for
/// `seconds`; prints accepted profiles/s, latencies and, with `garage`,
/// S3 requests per accepted profile. Returns profiles/s.
fn ingest_phase(label: &str, targets: &[&Server], rate: u64, seconds: u64, garage: Option<&GarageCluster>) -> f64 {
    let (bodies, _) = fleet::fleet_bodies();
    let requests_before = garage.map(|g| g.s3_requests().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let stats = Arc::new(Stats::default());
    let elapsed = runtime.block_on(async {
        let pods: Vec<_> =
            targets.iter().flat_map(|t| start_fleet(t.addr, &bodies, rate / targets.len() as u64, &stats)).collect();
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let elapsed = t.elapsed();
        stats.stop.store(true, Ordering::Relaxed);
        for p in pods {
            p.await.unwrap();
        }
        elapsed
    });
    let accepted = stats.profiles.load(Ordering::Relaxed);
    let per_second = accepted as f64 / elapsed.as_secs_f64();
    let latencies = stats.latencies.lock().unwrap().clone();
    let errors = stats.errors.lock().unwrap().clone();
    println!(
        "{label}: {accepted} accepted in {:.0} s = {per_second:.1} profiles/s; ingest p50 {:.0} ms, p99 {:.0} ms; refused {errors:?}",
        elapsed.as_secs_f64(),
        ms(percentile(latencies.clone(), 0.5)),
        ms(percentile(latencies, 0.99)),
    );
    if let (Some(g), Some(before)) = (garage, requests_before) {
        let requests = g.s3_requests().unwrap() - before;
        println!("{label}: {requests} S3 requests = {:.2} per accepted profile", requests as f64 / accepted as f64);
    }
    per_second
}

/// One POST on a fresh connection; its status.
fn post(addr: SocketAddr, uri: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    let head =
        format!("POST {uri} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// 24 h of the fleet, one profile per service every 10 minutes, written
/// to `to` by two threads; the start of the day (Unix seconds).
fn write_day(to: &Server, bodies: &[Arc<Vec<Bytes>>], day_start: u64) {
    let t = Instant::now();
    std::thread::scope(|s| {
        for half in 0..2u64 {
            s.spawn(move || {
                for slot in (half..DAY_SLOTS).step_by(2) {
                    for (service, b) in bodies.iter().enumerate().take(SERVICES) {
                        let from = day_start + slot * 600;
                        let uri = format!(
                            "/ingest?name=svc{service}.cpu{{pod=svc{service}-0}}&format=pprof&sampleRate=100&from={from}"
                        );
                        assert_eq!(post(to.addr, &uri, &b[slot as usize % b.len()]), 200, "{}", to.name);
                    }
                }
            });
        }
    });
    let n = DAY_SLOTS * SERVICES as u64;
    println!("24 h written to {}: {n} profiles in {:.1} s", to.name, t.elapsed().as_secs_f64());
}

/// The merged `{}` flame graph over the day asked of `server`: first run,
/// median of 5 more, and the total.
fn day_query(server: &Server, day: (u64, u64)) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (first, total) = runtime.block_on(query(server.addr, "{}", day.0 * 1000, day.1 * 1000));
    let runs: Vec<Duration> =
        (0..5).map(|_| runtime.block_on(query(server.addr, "{}", day.0 * 1000, day.1 * 1000)).0).collect();
    println!(
        "24 h merged flame graph of {{}} on {}: first {:.0} ms, median of 5 {:.0} ms, total {total}",
        server.name,
        ms(first),
        ms(percentile(runs, 0.5))
    );
    total
}

fn main() {
    let (seconds, rate) = (fleet::env_or("KILN_BENCH_SECONDS", 30), fleet::env_or("KILN_BENCH_RATE", 1000));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let garage = GarageCluster::start(3, 3).unwrap();
    println!("garage: 3 nodes, replication 3, up in {:.1} s", started.elapsed().as_secs_f64());
    let env = garage.aws_env();

    // 1. Ingest throughput.
    let local = spawn(dir.path(), "local", &[], &[]);
    let on_disk = ingest_phase("local disk, one server", &[&local], rate, seconds, None);
    drop(local);
    let one = spawn(dir.path(), "one", &on_garage(&garage, "one", "ingester", "one", 0), &env);
    let single = ingest_phase("garage, one ingester", &[&one], rate, seconds, Some(&garage));
    drop(one);
    let a = spawn(dir.path(), "two-a", &on_garage(&garage, "two", "ingester", "two-a", 0), &env);
    let b = spawn(dir.path(), "two-b", &on_garage(&garage, "two", "ingester", "two-b", 1), &env);
    let double = ingest_phase("garage, two ingesters", &[&a, &b], rate, seconds, Some(&garage));
    drop((a, b));
    println!(
        "ratios: two ingesters / one = {:.2}; garage one ingester / local disk = {:.2}",
        double / single,
        single / on_disk
    );

    // 2. 24 h merged flame graph.
    let (bodies, _) = fleet::fleet_bodies();
    let day = (now_secs() - 24 * 3600, now_secs());
    let local = spawn(dir.path(), "local-day", &[], &[]);
    write_day(&local, &bodies, day.0);
    let ingester = spawn(dir.path(), "day-ingester", &on_garage(&garage, "day", "ingester", "day-ingester", 0), &env);
    let compactor =
        spawn(dir.path(), "day-compactor", &on_garage(&garage, "day", "compactor", "day-compactor", 1), &env);
    write_day(&ingester, &bodies, day.0);
    // Both compact the closed windows (each maintenance round, 15 s), the
    // replaced objects go after the delete delay (30 s).
    std::thread::sleep(Duration::from_secs(60));
    let querier = spawn(dir.path(), "day-querier", &on_garage(&garage, "day", "querier", "day-querier", 2), &env);
    std::thread::sleep(Duration::from_secs(3));
    let local_total = day_query(&local, day);
    let garage_total = day_query(&querier, day);
    assert_eq!(local_total, garage_total, "the Garage querier answers as the local server does");
    drop((local, ingester, compactor, querier));
}
