//! Queries over a realistic fleet: 20 services × 5 pods post 800-stack
//! gzipped pprof to a real `kiln server` on loopback at 190 profiles/s,
//! then the merged flame graph of `{}` and of one service over the whole
//! range is asked through the Connect querier, first on an idle server,
//! then while ingest goes on at the same rate (medians of 5), and five
//! rounds of four such queries at once while `/ready` is polled every 5 ms
//! from a thread of its own.
//!
//! `cargo bench -p kiln-server --bench fleet_query`
//! (`KILN_BENCH_SECONDS` sets the first ingest phase, 180 by default;
//! `KILN_BENCH_RATE` the profiles per second, 190 by default).

mod fleet;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet::{four_at_once, ms, now_secs, percentile, query, start_fleet, Stats, PODS, SERVICES, STACKS_PER_PROFILE};
use kiln_server::Config;

/// The median time of `n` runs of one query, and its total.
async fn timed(addr: SocketAddr, label: &str, selector: &str, range: (u64, u64), n: usize) {
    let mut runs = Vec::new();
    let mut total = 0;
    for _ in 0..n {
        let (t, v) = query(addr, selector, range.0, range.1).await;
        runs.push(t);
        total = v;
    }
    let all: Vec<String> = runs.iter().map(|&d| format!("{:.0}", ms(d))).collect();
    println!("{label}: median {:.0} ms (runs {} ms), total {total}", ms(percentile(runs, 0.5)), all.join(", "));
}

fn main() {
    kiln_store::limit_malloc_arenas();
    let (seconds, rate) = (fleet::env_or("KILN_BENCH_SECONDS", 180), fleet::env_or("KILN_BENCH_RATE", 190));
    let (bodies, kb) = fleet::fleet_bodies();

    let dir = tempfile::tempdir().unwrap();
    let server_rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let running = server_rt.block_on(async {
        let flags: BTreeMap<String, String> = [("listen", "127.0.0.1:0"), ("data_dir", dir.path().to_str().unwrap())]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        kiln_server::start(Config::load(None, &BTreeMap::new(), &flags).unwrap(), &BTreeMap::new(), false)
            .await
            .unwrap()
    });
    let addr = running.addr;
    let client_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    client_rt.block_on(async {
        let stats = Arc::new(Stats::default());
        let start_ms = now_secs() * 1000;
        let pods = start_fleet(addr, &bodies, rate, &stats);
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let sent = stats.profiles.load(Ordering::Relaxed);
        println!(
            "fleet: {SERVICES} services × {PODS} pods, {STACKS_PER_PROFILE}-stack pprof ({kb:.1} KB gzipped), {sent} profiles in {:.0} s ({:.0}/s)",
            t.elapsed().as_secs_f64(),
            sent as f64 / t.elapsed().as_secs_f64()
        );
        stats.stop.store(true, Ordering::Relaxed);
        for p in pods {
            p.await.unwrap();
        }
        let range = (start_ms, now_secs() * 1000 + 1000);
        timed(addr, "idle: merged flame graph of {}", "{}", range, 5).await;
        timed(addr, "idle: merged flame graph of one service", "{service_name=\"svc7.cpu\"}", range, 5).await;

        stats.stop.store(false, Ordering::Relaxed);
        let pods = start_fleet(addr, &bodies, rate, &stats);
        tokio::time::sleep(Duration::from_secs(5)).await;
        timed(addr, "ingest running: merged flame graph of {}", "{}", range, 5).await;
        four_at_once(addr, range, 5).await;
        stats.stop.store(true, Ordering::Relaxed);
        for p in pods {
            p.await.unwrap();
        }
        println!("failed ingests by status: {:?}", stats.errors.lock().unwrap());
    });
    server_rt.block_on(running.shutdown()).unwrap();
}
