//! Resident memory during sustained ingest of 1,000 series (50 services x
//! 20 pods, a profile per series every 10 simulated seconds, as fast as the
//! store takes them) with background compaction and retention on. Samples
//! this process's RSS every 5 s. Goal: under 300 MB and flat.
//!
//! `KILN_BENCH_SECONDS` sets the duration (default 90).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::rng::Rng;
use common::service::{Service, Shape};
use common::{ingest_profile, labels, local_store, rss_mib, Clock, SEC, T0};

const SERVICES: usize = 50;
const PODS: usize = 20;
const VARIANTS: usize = 8;
const SAMPLES: usize = 100;

fn main() {
    // As `kiln`'s main does, before any thread starts.
    kiln_store::limit_malloc_arenas();
    let seconds: u64 = std::env::var("KILN_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(90);
    let mut rng = Rng::new(5);
    let pools: Vec<Vec<Arc<kiln_model::Profile>>> = (0..SERVICES)
        .map(|_| {
            let svc = Service::new(&mut rng, &Shape { functions: 300, locations: 500, stacks: 800 });
            (0..VARIANTS).map(|_| Arc::new(svc.profile(&mut rng, SAMPLES))).collect()
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let clock = Clock::new(T0);
    let config = kiln_store::StoreConfig {
        maintenance_interval: Some(Duration::from_secs(5)),
        delete_delay: Duration::from_secs(1),
        window: Duration::from_secs(600),
        window_grace: Duration::from_secs(60),
        retention_max_age: Some(Duration::from_secs(6 * 3600)),
        ..clock.config()
    };
    let (store, _dir) = rt.block_on(local_store(config));
    println!("rss at start (generator pools built): {:.1} MiB", rss_mib());
    let started = Instant::now();
    let mut next_sample = Duration::ZERO;
    let (mut round, mut id, mut samples) = (0i64, 0u128, Vec::new());
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = T0 + round * 10 * SEC;
        clock.set(t);
        rt.block_on(async {
            let calls = (0..SERVICES).map(|s| {
                let batch: Vec<_> = (0..PODS)
                    .map(|pod| {
                        let p = pools[s][(round as usize + pod) % VARIANTS].clone();
                        ingest_profile(id + (s * PODS + pod) as u128, t, labels(&format!("svc-{s}"), pod), p)
                    })
                    .collect();
                let store = store.clone();
                tokio::spawn(async move { store.ingest("bench", batch).await.unwrap() })
            });
            for c in calls.collect::<Vec<_>>() {
                c.await.unwrap();
            }
        });
        id += (SERVICES * PODS) as u128;
        round += 1;
        if started.elapsed() >= next_sample {
            let s = store.stats("bench");
            let rss = rss_mib();
            println!(
                "t={:>5.1}s rss={rss:>6.1} MiB profiles={} objects={} simulated={}s",
                started.elapsed().as_secs_f64(),
                s.profiles,
                s.objects,
                round * 10
            );
            samples.push(rss);
            next_sample += Duration::from_secs(5);
        }
    }
    let max = samples.iter().cloned().fold(0.0, f64::max);
    println!(
        "rss start {:.1} MiB, end {:.1} MiB, max {max:.1} MiB over {} rounds ({} profiles); goal < 300 MB: {}",
        samples[0],
        samples[samples.len() - 1],
        round,
        round * 1000,
        max * 1.048_576 < 300.0
    );
    rt.block_on(store.close());
}
