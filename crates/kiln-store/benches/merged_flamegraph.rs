//! A merged flame graph over 7 days of 10 series with a profile every 10 s
//! (604,800 profiles of 500 to 1,000 samples each, drawn from a Go-like
//! service of 3,000 stacks), from rollups (`merge_tree`) against merging
//! the raw profiles (`merge_trees_raw`), in the same run.
//!
//! The data set (`seven_days/`) is built as hour blocks, then consolidated
//! into day blocks with the store's own code. Both layouts are measured.
//! Goals: under 1 s, and at least 20x faster than the raw merge. The
//! querier's own reads over the same data set are kiln-query's
//! `querier_shapes` bench.

mod common;
mod seven_days;

use std::time::{Duration, Instant};

use common::{p50, HOUR, SEC, T0};
use kiln_store::{AllSeries, Store, TimeRange};
use seven_days::{SevenDays, DAYS};

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
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = SevenDays::build(&rt);
    measure(&rt, &data.store, "hour blocks");
    data.consolidate(&rt);
    measure(&rt, &data.store, "day blocks");
    query_shapes(&rt, &data.store);
    rt.block_on(data.store.close());
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
