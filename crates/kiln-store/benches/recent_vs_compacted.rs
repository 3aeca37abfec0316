//! Recent data against compacted data: a fleet of 20 services × 5 pods
//! ingests 800-sample profiles into segments (a flush every few batches,
//! as `kiln server` writes them), then the merged tree of everything is
//! read while it is all segments, and again after compaction merged them
//! into level-1 blocks. The decoded-partition cache is off, so every read
//! decodes what it touches (the case of a range larger than the cache).
//!
//! `cargo bench -p kiln-store --bench recent_vs_compacted`
//! (`KILN_BENCH_PROFILES` sets the profile count, 4,000 by default).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{go_service, ingest_profile, labels, local_store, p50, Clock, SEC, T0};
use kiln_store::{AllSeries, Store, StoreConfig, TimeRange};

const SERVICES: usize = 20;
const PODS: usize = 5;
const RUNS: usize = 5;

async fn timed_merges(store: &Store) -> (Duration, i64) {
    let range = TimeRange { start: T0 - SEC, end: T0 + 3600 * SEC };
    let mut runs = Vec::new();
    let mut total = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        total = store.merge_tree("t", &AllSeries, range).await.unwrap().total();
        runs.push(t.elapsed());
    }
    (p50(runs), total)
}

fn main() {
    let profiles: usize = std::env::var("KILN_BENCH_PROFILES").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let clock = Clock::new(T0 + 600 * SEC);
        let config = StoreConfig { cache_bytes: 0, ..clock.config() };
        let (store, _dir) = local_store(config).await;
        let mut services: Vec<_> = (0..SERVICES).map(|s| go_service(s as u64 + 1)).collect();
        for step in 0..profiles / SERVICES {
            // One profile of every service per batch, as a flush gathers them.
            let batch: Vec<_> = (0..SERVICES)
                .map(|s| {
                    let i = step * SERVICES + s;
                    let (service, rng) = &mut services[s];
                    let profile = Arc::new(service.profile(rng, 800));
                    let time = T0 + (i as i64 * 600 * SEC) / profiles as i64;
                    ingest_profile(i as u128, time, labels(&format!("svc{s}"), step % PODS), profile)
                })
                .collect();
            store.ingest("t", batch).await.unwrap();
        }
        let segments = store.stats("t").objects;
        let (recent, total) = timed_merges(&store).await;
        store.maintain_now().await.unwrap();
        let blocks = store.stats("t").objects;
        let (compacted, total_after) = timed_merges(&store).await;
        assert_eq!(total, total_after, "compaction keeps every sample");
        println!("{profiles} profiles of 800 samples, {SERVICES} services × {PODS} pods, cache off, p50 of {RUNS}");
        println!("recent: {segments} segments, merged tree in {:.1} ms", recent.as_secs_f64() * 1e3);
        println!("compacted: {blocks} level-1 blocks, merged tree in {:.1} ms", compacted.as_secs_f64() * 1e3);
        println!("ratio recent / compacted: {:.2}", recent.as_secs_f64() / compacted.as_secs_f64());
        store.close().await;
    });
}
