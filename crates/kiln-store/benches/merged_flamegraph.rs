//! A merged flame graph over 7 days of 10 series with a profile every 10 s
//! (604,800 profiles), from rollups (`merge_tree`) against merging the raw
//! profiles (`merge_trees_raw`), in the same run. The dataset goes through
//! the real path: `ingest` into segments, `maintain_now` at each simulated
//! hour compacting closed windows into blocks with rollups. Goals: under
//! 1 s, and at least 20x faster than the raw merge.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::rng::Rng;
use common::service::{Service, Shape};
use common::{ingest_profile, labels, local_store, p50, Clock, HOUR, SEC, T0};
use kiln_store::{AllSeries, TimeRange};

const SERIES: usize = 10;
const DAYS: i64 = 7;
const STEP: i64 = 10 * SEC;
/// Distinct profiles per series, cycled (the same code paths every 10 s).
const VARIANTS: usize = 32;
const SAMPLES: usize = 100;

fn main() {
    let mut rng = Rng::new(11);
    let service = Service::new(&mut rng, &Shape { functions: 400, locations: 700, stacks: 1_000 });
    let pool: Vec<Arc<kiln_model::Profile>> =
        (0..VARIANTS).map(|_| Arc::new(service.profile(&mut rng, SAMPLES))).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let clock = Clock::new(T0);
    let (store, _dir) = rt.block_on(local_store(clock.config()));
    let steps_per_hour = HOUR / STEP;
    let hours = DAYS * 24;
    let started = Instant::now();
    let mut id = 0u128;
    for h in 0..hours {
        for chunk in 0..6 {
            let mut batch = Vec::with_capacity(SERIES * 60);
            for s in chunk * steps_per_hour / 6..(chunk + 1) * steps_per_hour / 6 {
                let step = h * steps_per_hour + s;
                for series in 0..SERIES {
                    id += 1;
                    let p = pool[(step as usize + series) % VARIANTS].clone();
                    batch.push(ingest_profile(id, T0 + step * STEP, labels("checkout", series), p));
                }
            }
            rt.block_on(store.ingest("bench", &batch)).unwrap();
        }
        // The hour before the previous one is closed now: compact it.
        clock.set(T0 + (h + 1) * HOUR + 3 * 60 * SEC);
        rt.block_on(store.maintain_now()).unwrap();
    }
    let stats = store.stats("bench");
    println!(
        "dataset: {} profiles x {SAMPLES} samples, {} series, {} objects, {:.1} MB; built in {:?}",
        stats.profiles,
        stats.series,
        stats.objects,
        stats.bytes as f64 / 1e6,
        started.elapsed()
    );
    let range = TimeRange { start: T0, end: T0 + DAYS * 24 * HOUR - 1 };
    let time = |raw: bool| {
        let t = Instant::now();
        let tree = rt.block_on(async {
            if raw {
                store.merge_trees_raw("bench", &AllSeries, range, &[]).await.unwrap().into_values().next().unwrap()
            } else {
                store.merge_tree("bench", &AllSeries, range).await.unwrap()
            }
        });
        (t.elapsed(), tree.total(), tree.len())
    };
    let (cold, total, nodes) = time(false);
    println!("rollups, first (cold cache) run: {cold:?}; tree of {nodes} nodes, total {total}");
    let fast: Vec<Duration> = (0..15).map(|_| time(false).0).collect();
    let raw_runs: Vec<(Duration, i64, usize)> = (0..3).map(|_| time(true)).collect();
    assert!(raw_runs.iter().all(|r| r.1 == total), "raw and rollup merges disagree");
    let raw: Vec<Duration> = raw_runs.iter().map(|r| r.0).collect();
    let (f, r) = (p50(fast.clone()), p50(raw.clone()));
    println!(
        "rollups (merge_tree): p50 {f:?} of {} runs, min {:?}, max {:?}",
        fast.len(),
        fast.iter().min().unwrap(),
        fast.iter().max().unwrap()
    );
    println!("raw (merge_trees_raw): p50 {r:?} of {} runs: {raw:?}", raw.len());
    println!(
        "speedup {:.0}x (goal >= 20x: {}); under 1 s: {}",
        r.as_secs_f64() / f.as_secs_f64(),
        r.as_secs_f64() / f.as_secs_f64() >= 20.0,
        f < Duration::from_secs(1)
    );
    rt.block_on(store.close());
}
