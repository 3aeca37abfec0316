//! Sustained load: the fleet of `fleet_query` (20 services × 5 pods,
//! 800-stack gzipped pprof) holds 200 profiles/s against a `kiln server`
//! process on loopback for 10 minutes. Reports the server's RSS every
//! 5 s (read from `/proc`, so it is the server's alone), ingest latency
//! p50/p99 per request, failed requests by status (429s apart), and, at
//! the end, `/ready` p99 while four merged `{}` queries run.
//!
//! `cargo build --release -p kiln && cargo bench -p kiln-server --bench sustained_load`
//! (`KILN_BENCH_SECONDS`, 600 by default; `KILN_BENCH_RATE`, 200 by
//! default; `KILN_BENCH_SERVER_BIN`, the `kiln` binary to run, by default
//! the release one beside this bench, so another build's server can be
//! measured by the same generator).

mod fleet;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fleet::{four_at_once, ms, now_secs, percentile, start_fleet, Stats, PODS, SERVICES, STACKS_PER_PROFILE};

/// The `kiln` binary: `KILN_BENCH_SERVER_BIN`, or the release build in the
/// target directory this bench was built in.
fn server_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KILN_BENCH_SERVER_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).unwrap().join("kiln")
}

/// A loopback port nobody listens on now.
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// Starts `kiln server` on `addr` over `data_dir`, its log in the data
/// directory's parent, and waits until it accepts connections.
fn spawn_server(addr: SocketAddr, data_dir: &std::path::Path) -> Child {
    let bin = server_bin();
    let log = std::fs::File::create(data_dir.with_extension("log")).unwrap();
    let child = Command::new(&bin)
        .args(["server", "--listen", &addr.to_string(), "--data-dir", data_dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{} did not listen on {addr} in 30 s", bin.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The resident set of process `pid` in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

/// Samples the RSS of `pid` every 5 s until `done`: (seconds, MiB).
fn sample_rss(pid: u32, done: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<(u64, f64)>> {
    std::thread::spawn(move || {
        let t = Instant::now();
        let mut out = Vec::new();
        while !done.load(Ordering::Relaxed) {
            out.push((t.elapsed().as_secs(), rss_mib(pid)));
            let next = Duration::from_secs(5 * out.len() as u64);
            while t.elapsed() < next && !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        out
    })
}

/// The RSS series, one figure a minute, and its minimum, maximum and the
/// mean of the first and last minute (flat means those two agree).
fn report_rss(series: &[(u64, f64)]) {
    let per_minute: Vec<String> =
        series.iter().filter(|(s, _)| s % 60 == 0).map(|(s, m)| format!("{}m {m:.0}", s / 60)).collect();
    println!("server RSS (MiB) each minute: {}", per_minute.join(", "));
    let mean = |xs: &[(u64, f64)]| xs.iter().map(|x| x.1).sum::<f64>() / xs.len().max(1) as f64;
    let max = series.iter().map(|x| x.1).fold(0.0, f64::max);
    let min = series.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let n = series.len().min(12);
    println!(
        "server RSS: min {min:.0} MiB, max {max:.0} MiB, first minute {:.0} MiB, last minute {:.0} MiB ({} samples)",
        mean(&series[..n]),
        mean(&series[series.len() - n..]),
        series.len()
    );
}

/// Ingest latencies and failures of the sustained phase.
fn report_ingest(stats: &Stats, elapsed: Duration, kb: f64) {
    let latencies = stats.latencies.lock().unwrap().clone();
    let accepted = stats.profiles.load(Ordering::Relaxed);
    println!(
        "fleet: {SERVICES} services × {PODS} pods, {STACKS_PER_PROFILE}-stack pprof ({kb:.1} KB gzipped), {accepted} accepted of {} in {:.0} s ({:.1}/s)",
        latencies.len(),
        elapsed.as_secs_f64(),
        accepted as f64 / elapsed.as_secs_f64()
    );
    println!(
        "ingest latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(latencies.clone(), 0.5)),
        ms(percentile(latencies.clone(), 0.99)),
        ms(percentile(latencies, 1.0))
    );
    let errors = stats.errors.lock().unwrap();
    let limited = errors.get("429").copied().unwrap_or(0);
    let others: Vec<String> = errors.iter().filter(|(k, _)| *k != "429").map(|(k, v)| format!("{k}: {v}")).collect();
    println!("failed: 429 (rate limit or decode budget) {limited}; others {{{}}}", others.join(", "));
}

/// Asks the server to stop (SIGTERM) and waits for it.
fn stop_server(mut child: Child) {
    // SAFETY: kill(2) on the pid of a child this process spawned and has not reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let t = Instant::now();
    let status = child.wait().unwrap();
    println!("server stopped in {:.1} s: {status}", t.elapsed().as_secs_f64());
}

fn main() {
    let (seconds, rate) = (fleet::env_or("KILN_BENCH_SECONDS", 600), fleet::env_or("KILN_BENCH_RATE", 200));
    let (bodies, kb) = fleet::fleet_bodies();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let addr = free_addr();
    let child = spawn_server(addr, &data_dir);
    println!("server: {} (pid {}) on {addr}", server_bin().display(), child.id());
    let done = Arc::new(AtomicBool::new(false));
    let pid = child.id();
    let sampler = sample_rss(pid, done.clone());

    let client_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    client_rt.block_on(async {
        let stats = Arc::new(Stats::default());
        let start_ms = now_secs() * 1000;
        let pods = start_fleet(addr, &bodies, rate, &stats);
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        done.store(true, Ordering::Relaxed);
        let sustained = Stats {
            profiles: stats.profiles.load(Ordering::Relaxed).into(),
            latencies: Mutex::new(stats.latencies.lock().unwrap().clone()),
            errors: Mutex::new(stats.errors.lock().unwrap().clone()),
            ..Stats::default()
        };
        report_ingest(&sustained, t.elapsed(), kb);
        report_rss(&sampler.join().unwrap());
        four_at_once(addr, (start_ms, now_secs() * 1000 + 1000), 3).await;
        println!("server RSS after the queries: {:.0} MiB", rss_mib(pid));
        stats.stop.store(true, Ordering::Relaxed);
        for p in pods {
            p.await.unwrap();
        }
    });
    stop_server(child);
}
