//! The querier's per-profile reads over kiln-store's 7-day data set
//! (consolidated into day blocks), through `kiln-query` as the server
//! calls it: `SelectSeries` with individual exemplars over the 7 days at a
//! 15-minute step, and `SelectHeatmap` (individual, with exemplars) over
//! the last 24 h at a 15 s step. p50 of 9 runs each; goal: each under
//! 100 ms. The store-level merges over the same data set are kiln-store's
//! `merged_flamegraph` bench.

#[path = "../../kiln-store/benches/common/mod.rs"]
mod common;
#[path = "../../kiln-store/benches/seven_days/mod.rs"]
mod seven_days;

use std::time::{Duration, Instant};

use common::{p50, HOUR, T0};
use kiln_query::{Aggregation, ExemplarKind, HeatmapQueryType, HeatmapRequest, SeriesRequest, TimeRangeMs};
use kiln_store::Store;
use seven_days::{SevenDays, CPU, DAYS};

const DAY_MS: i64 = 86_400_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let data = SevenDays::build(&rt);
    data.consolidate(&rt);
    let end_ms = (T0 + DAYS * 24 * HOUR - 1) / 1_000_000;
    measure(&rt, &data.store, T0 / 1_000_000, end_ms);
    rt.block_on(data.store.close());
}

fn p50_of(mut run: impl FnMut()) -> Duration {
    p50((0..9)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed()
        })
        .collect())
}

/// Measures both queries over `[start_ms, end_ms]` (the data set's span).
fn measure(rt: &tokio::runtime::Runtime, store: &Store, start_ms: i64, end_ms: i64) {
    let series = SeriesRequest {
        profile_type_id: CPU.into(),
        label_selector: "{}".into(),
        range: TimeRangeMs { start: start_ms, end: end_ms },
        step_seconds: 900.0,
        group_by: Vec::new(),
        aggregation: Aggregation::Sum,
        limit: None,
    };
    let p = p50_of(|| {
        let s =
            rt.block_on(kiln_query::select_series_exemplars(store, "bench", &series, ExemplarKind::Individual, None));
        let points = &s.unwrap()[0].points;
        assert!(points.len() > 600 && points.iter().all(|p| p.exemplars.len() == 1));
    });
    println!(
        "SelectSeries with individual exemplars over 7 days at a 15-minute step: p50 {p:?} (under 100 ms: {})",
        p < Duration::from_millis(100)
    );
    let heatmap = HeatmapRequest {
        profile_type_id: CPU.into(),
        label_selector: "{}".into(),
        range: TimeRangeMs { start: end_ms - DAY_MS, end: end_ms },
        step_seconds: 15.0,
        group_by: Vec::new(),
        query_type: HeatmapQueryType::Individual,
        exemplars: ExemplarKind::Individual,
        limit: None,
    };
    let p = p50_of(|| {
        let h = rt.block_on(kiln_query::select_heatmap(store, "bench", &heatmap)).unwrap();
        let counts: i64 = h[0].slots.iter().flat_map(|s| &s.counts).map(|&c| i64::from(c)).sum();
        // A profile every 10 s in each of 10 series, plus the step before the start.
        assert!(counts >= 86_400, "{counts}");
    });
    println!(
        "SelectHeatmap (individual, exemplars) over 24 h at a 15 s step: p50 {p:?} (under 100 ms: {})",
        p < Duration::from_millis(100)
    );
}
