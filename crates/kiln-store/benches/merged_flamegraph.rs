//! A merged flame graph over 7 days of 10 series with a profile every 10 s
//! (604,800 profiles of 500 to 1,000 samples each, drawn from a Go-like
//! service of 3,000 stacks), from rollups (`merge_tree`) against merging
//! the raw profiles (`merge_trees_raw`), in the same run.
//!
//! Ingesting 600k realistic profiles one by one would take most of an
//! hour, so the closed-window blocks are built through
//! `Store::import_block`: the partitions compaction would write (rows
//! sorted, rollups from `compute_rollups`, `encode_block`), each holding at
//! most `compaction_max_samples` samples, as compaction of a closed window
//! leaves them. Then `maintain_now` consolidates them into day blocks with
//! the store's own code. Both layouts are measured. Goals: under 1 s, and at
//! least 20x faster than the raw merge.

mod common;
mod querier_shapes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{go_service, labels, local_store, p50, Clock, HOUR, SEC, T0};
use futures::StreamExt;
use kiln_model::stacks::{StackSamples, SymbolDb};
use kiln_model::Profile;
use kiln_store::{AllSeries, Partition, Row, SeriesInfo, Store, TimeRange};

const SERIES: usize = 10;
const DAYS: i64 = 7;
const STEP: i64 = 10 * SEC;
/// Distinct profiles, cycled (the same code paths every 10 s).
const VARIANTS: usize = 32;
const BLOCK_SAMPLES: usize = 1_000_000;

/// One block's partition over rows `steps` of every series.
fn block(pool: &[(Arc<Profile>, usize)], steps: std::ops::Range<i64>) -> Partition {
    let mut p = Partition { service: "checkout".into(), ..Partition::default() };
    p.series = (0..SERIES)
        .map(|s| SeriesInfo {
            labels: querier_shapes::with_profile_type(labels("checkout", s)),
            min_time_nanos: 0,
            max_time_nanos: 0,
            profiles: 0,
            total: 0,
        })
        .collect();
    let mut stored: Vec<Option<StackSamples>> = vec![None; pool.len()];
    for step in steps {
        for series in 0..SERIES {
            let v = (step as usize * 7 + series) % pool.len();
            let samples = stored[v].get_or_insert_with(|| add(std::sync::Arc::make_mut(&mut p.db), &pool[v].0)).clone();
            p.rows.push(Row {
                series: series as u32,
                time_nanos: T0 + step * STEP,
                duration_nanos: STEP,
                id: (step as u128) << 8 | series as u128,
                total: samples.total(),
                samples,
                labels: Vec::new(),
            });
        }
    }
    p
}

fn add(db: &mut SymbolDb, p: &Profile) -> StackSamples {
    db.add_profile(p, 1)
}

/// Time slices of at most `BLOCK_SAMPLES` samples, never across an hour.
fn slices(pool: &[(Arc<Profile>, usize)]) -> Vec<std::ops::Range<i64>> {
    let per_hour = HOUR / STEP;
    let mut out = Vec::new();
    for h in 0..DAYS * 24 {
        let mut start = h * per_hour;
        let mut used = 0;
        for step in h * per_hour..(h + 1) * per_hour {
            let n: usize = (0..SERIES).map(|s| pool[(step as usize * 7 + s) % pool.len()].1).sum();
            if used + n > BLOCK_SAMPLES {
                out.push(start..step);
                (start, used) = (step, 0);
            }
            used += n;
        }
        out.push(start..(h + 1) * per_hour);
    }
    out
}

fn query(rt: &tokio::runtime::Runtime, store: &Store, raw: bool) -> (Duration, i64, usize) {
    let range = TimeRange { start: T0, end: T0 + DAYS * 24 * HOUR - 1 };
    let t = Instant::now();
    let tree = rt.block_on(async {
        if raw {
            store.merge_trees_raw("bench", &AllSeries, range, &[]).await.unwrap().into_values().next().unwrap()
        } else {
            store.merge_tree("bench", &AllSeries, range).await.unwrap()
        }
    });
    (t.elapsed(), tree.total(), tree.len())
}

/// Rollup runs (first one cold) then raw runs; returns (rollups p50, raw p50).
fn measure(rt: &tokio::runtime::Runtime, store: &Store, layout: &str) -> (Duration, Duration) {
    let (cold, total, nodes) = query(rt, store, false);
    println!("[{layout}] rollups, first (cold cache) run: {cold:?}; tree of {nodes} nodes, total {total}");
    let fast: Vec<Duration> = (0..9).map(|_| query(rt, store, false).0).collect();
    let raw_runs: Vec<_> = (0..2).map(|_| query(rt, store, true)).collect();
    assert!(raw_runs.iter().all(|r| r.1 == total), "raw and rollup merges disagree");
    let raw: Vec<Duration> = raw_runs.iter().map(|r| r.0).collect();
    let (f, r) = (p50(fast.clone()), p50(raw.clone()));
    println!(
        "[{layout}] rollups (merge_tree): p50 {f:?} of {} runs (min {:?}, max {:?}); raw (merge_trees_raw): {raw:?}",
        fast.len(),
        fast.iter().min().unwrap(),
        fast.iter().max().unwrap()
    );
    println!(
        "[{layout}] speedup {:.1}x (goal >= 20x: {}); under 1 s: {}",
        r.as_secs_f64() / f.as_secs_f64(),
        r.as_secs_f64() / f.as_secs_f64() >= 20.0,
        f < Duration::from_secs(1)
    );
    (f, r)
}

fn main() {
    let (service, mut rng) = go_service(11);
    let pool: Vec<(Arc<Profile>, usize)> = (0..VARIANTS)
        .map(|_| {
            let n = rng.range(500, 1000);
            let p = service.profile(&mut rng, n);
            let samples = p.samples.len();
            (Arc::new(p), samples)
        })
        .collect();
    let avg = pool.iter().map(|p| p.1).sum::<usize>() as f64 / pool.len() as f64;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let clock = Clock::new(T0);
    let (store, _dir) = rt.block_on(local_store(clock.config()));
    let started = Instant::now();
    let slices = slices(&pool);
    let n_blocks = slices.len();
    rt.block_on(
        futures::stream::iter(slices)
            .map(|steps| {
                let p = block(&pool, steps);
                let store = store.clone();
                async move { store.import_block("bench", 2, vec![p], HOUR).await.unwrap() }
            })
            .buffer_unordered(2)
            .collect::<Vec<()>>(),
    );
    let stats = store.stats("bench");
    println!(
        "dataset: {} profiles ({avg:.0} samples on average), {} series, {n_blocks} level-2 blocks, {:.1} MB; built in {:?}",
        stats.profiles,
        stats.series,
        stats.bytes as f64 / 1e6,
        started.elapsed()
    );
    measure(&rt, &store, "hour blocks");
    clock.set(T0 + (DAYS * 24 + 2) * HOUR);
    let t = Instant::now();
    rt.block_on(store.maintain_now()).unwrap();
    let stats = store.stats("bench");
    println!(
        "consolidated into {} day blocks ({:.1} MB) in {:?}",
        stats.objects,
        stats.bytes as f64 / 1e6,
        t.elapsed()
    );
    measure(&rt, &store, "day blocks");
    query_shapes(&rt, &store);
    let end_ms = (T0 + DAYS * 24 * HOUR - 1) / 1_000_000;
    querier_shapes::measure(&rt, &store, T0 / 1_000_000, end_ms);
    rt.block_on(store.close());
}

/// What the querier asks of the store for `SelectMergeStacktraces` over the
/// last hour, day and week, and `SelectSeries` over the week at a 15-minute
/// step: p50 of 9 runs each (issue #6's goals: 7 days under 1 s, the
/// series under 300 ms).
fn query_shapes(rt: &tokio::runtime::Runtime, store: &Store) {
    let end = T0 + DAYS * 24 * HOUR - 1;
    for (name, hours) in [("1 h", 1), ("24 h", 24), ("7 days", DAYS * 24)] {
        let range = TimeRange { start: end + 1 - hours * HOUR, end };
        let runs: Vec<Duration> = (0..9)
            .map(|_| {
                let t = Instant::now();
                rt.block_on(store.merge_tree("bench", &AllSeries, range)).unwrap();
                t.elapsed()
            })
            .collect();
        println!("SelectMergeStacktraces-shaped merge over {name}: p50 {:?}", p50(runs));
    }
    let range = TimeRange { start: T0, end };
    let runs: Vec<Duration> = (0..9)
        .map(|_| {
            let t = Instant::now();
            let s = rt.block_on(store.series_totals("bench", &AllSeries, range, 900 * SEC, &[])).unwrap();
            // A point every 15 minutes, plus the one at the range's start.
            assert_eq!(s.values().next().map(|p| p.len()), Some((DAYS * 24 * 4 + 1) as usize));
            t.elapsed()
        })
        .collect();
    let p = p50(runs);
    println!(
        "SelectSeries-shaped totals over 7 days at a 15-minute step: p50 {p:?} (under 300 ms: {})",
        p < Duration::from_millis(300)
    );
}
