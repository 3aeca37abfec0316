//! The 7-day data set of the query benchmarks, shared by kiln-store's
//! `merged_flamegraph` and kiln-query's `querier_shapes` (by `#[path]`): 10
//! series with a profile every 10 s (604,800 profiles of 500 to 1,000
//! samples each, drawn from a Go-like service of 3,000 stacks), carrying
//! the `__profile_type__` the querier selects on.
//!
//! Ingesting 600k realistic profiles one by one would take most of an
//! hour, so the closed-window blocks are built through
//! `Store::import_block`: the partitions compaction would write (rows
//! sorted, rollups from `compute_rollups`, `encode_block`), each holding at
//! most `compaction_max_samples` samples, as compaction of a closed window
//! leaves them. [`SevenDays::consolidate`] then merges them into day blocks
//! with the store's own code.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use kiln_model::stacks::{StackSamples, SymbolDb};
use kiln_model::Profile;
use kiln_store::{normalize_labels, Labels, Partition, Row, SeriesInfo, Store};

use crate::common::{go_service, labels, local_store, Clock, HOUR, SEC, T0};

const SERIES: usize = 10;
pub const DAYS: i64 = 7;
const STEP: i64 = 10 * SEC;
/// Distinct profiles, cycled (the same code paths every 10 s).
const VARIANTS: usize = 32;
const BLOCK_SAMPLES: usize = 1_000_000;
/// The profile type of every series.
pub const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

/// The store holding the data set, on a temporary directory.
pub struct SevenDays {
    pub store: Store,
    clock: Clock,
    _dir: tempfile::TempDir,
}

impl SevenDays {
    /// Builds the data set in hour blocks and prints what it holds.
    pub fn build(rt: &tokio::runtime::Runtime) -> SevenDays {
        let pool = profiles();
        let avg = pool.iter().map(|p| p.1).sum::<usize>() as f64 / pool.len() as f64;
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
        SevenDays { store, clock, _dir }
    }

    /// Moves the clock past the data and lets maintenance merge the hour
    /// blocks into day blocks.
    pub fn consolidate(&self, rt: &tokio::runtime::Runtime) {
        self.clock.set(T0 + (DAYS * 24 + 2) * HOUR);
        let t = Instant::now();
        rt.block_on(self.store.maintain_now()).unwrap();
        let stats = self.store.stats("bench");
        println!(
            "consolidated into {} day blocks ({:.1} MB) in {:?}",
            stats.objects,
            stats.bytes as f64 / 1e6,
            t.elapsed()
        );
    }
}

/// The profiles cycled through, with their sample counts.
fn profiles() -> Vec<(Arc<Profile>, usize)> {
    let (service, mut rng) = go_service(11);
    (0..VARIANTS)
        .map(|_| {
            let n = rng.range(500, 1000);
            let p = service.profile(&mut rng, n);
            let samples = p.samples.len();
            (Arc::new(p), samples)
        })
        .collect()
}

/// Series labels with the profile type the querier selects on.
fn with_profile_type(mut labels: Labels) -> Labels {
    labels.push(("__profile_type__".into(), CPU.into()));
    normalize_labels(labels)
}

/// One block's partition over rows `steps` of every series.
fn block(pool: &[(Arc<Profile>, usize)], steps: std::ops::Range<i64>) -> Partition {
    let mut p = Partition { service: "checkout".into(), ..Partition::default() };
    p.series = (0..SERIES)
        .map(|s| SeriesInfo {
            labels: with_profile_type(labels("checkout", s)),
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
            let samples = stored[v].get_or_insert_with(|| add(Arc::make_mut(&mut p.db), &pool[v].0)).clone();
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
