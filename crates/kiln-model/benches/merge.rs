//! Merging profiles of one steady service.
//!
//! - `stored_form`: 10,000 profiles in Kiln's stored form (stack id, value
//!   columns over one partition's `SymbolDb`) merged with `StackMerger` and
//!   turned into a call tree: the query path.
//! - `symbol_db_add_profile`: the ingest-time cost of putting a pprof-shaped
//!   profile into stored form.
//! - `profile_merger`: pprof-shaped profiles, each with its own tables,
//!   merged with `ProfileMerger`.
//! - `tree_add_profile`: the naive baseline, every profile added to one
//!   `Tree`.
//!
//! A one-shot `ProfileMerger` merge of 10,000 profiles is timed once at
//! start-up; criterion times 1,000 profiles per iteration for the pprof
//! mergers so the slow baseline fits in the run.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kiln_model::merge::ProfileMerger;
use kiln_model::stacks::{StackMerger, StackSamples, SymbolDb};
use kiln_model::{Profile, Tree};

use common::rng::Rng;
use common::service::{Service, Shape};

/// Profiles in the one-shot merge.
const PROFILES: usize = 10_000;
/// Profiles merged per criterion iteration.
const PER_ITERATION: usize = 1_000;
/// Distinct generated profiles, cycled through to make up the inputs
/// (generating all 10,000 would hold gigabytes).
const DISTINCT: usize = 500;
const SAMPLES_PER_PROFILE: usize = 1_000;

fn service_profiles() -> Vec<Profile> {
    let mut rng = Rng::new(2);
    let service = Service::new(&mut rng, &Shape { functions: 1_500, locations: 2_000, stacks: 4_000 });
    (0..DISTINCT).map(|_| service.profile(&mut rng, SAMPLES_PER_PROFILE)).collect()
}

fn inputs(profiles: &[Profile], n: usize) -> impl Iterator<Item = &Profile> {
    profiles.iter().cycle().take(n)
}

/// Times one merge of all `PROFILES` profiles and prints samples/second.
fn one_shot(profiles: &[Profile]) {
    let samples: usize = inputs(profiles, PROFILES).map(|p| p.samples.len()).sum();
    let start = Instant::now();
    let merged = kiln_model::merge::merge(inputs(profiles, PROFILES)).expect("same sample types");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "merge one-shot: {PROFILES} profiles, {samples} samples in, {} out, {secs:.2} s, {:.2} M samples/s",
        merged.samples.len(),
        samples as f64 / secs / 1e6
    );
}

/// Merges `PROFILES` stored profiles and builds the call tree.
fn stored_form(c: &mut Criterion, profiles: &[Profile]) {
    let mut db = SymbolDb::default();
    let stored: Vec<StackSamples> = profiles.iter().map(|p| db.add_profile(p, 1)).collect();
    let samples: usize = stored.iter().cycle().take(PROFILES).map(|s| s.values.len()).sum();
    let mut group = c.benchmark_group("merge");
    group.throughput(Throughput::Elements(samples as u64));
    group.bench_function("stored_form", |b| {
        b.iter(|| {
            let mut m = StackMerger::default();
            for s in stored.iter().cycle().take(PROFILES) {
                m.add(black_box(s));
            }
            db.tree(m.values())
        })
    });
    let per_profile: usize = profiles.iter().map(|p| p.samples.len()).sum();
    group.throughput(Throughput::Elements(per_profile as u64));
    group.bench_function("symbol_db_add_profile", |b| {
        b.iter(|| {
            let mut db = SymbolDb::default();
            for p in black_box(profiles) {
                db.add_profile(p, 1);
            }
            db
        })
    });
    group.finish();
}

fn merge(c: &mut Criterion) {
    let profiles = service_profiles();
    one_shot(&profiles);
    stored_form(c, &profiles);
    let samples: usize = inputs(&profiles, PER_ITERATION).map(|p| p.samples.len()).sum();
    let mut group = c.benchmark_group("merge");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(samples as u64));
    group.bench_function("profile_merger", |b| {
        b.iter(|| {
            let mut m = ProfileMerger::default();
            for p in inputs(black_box(&profiles), PER_ITERATION) {
                m.add(p).expect("same sample types");
            }
            m.finish()
        })
    });
    group.bench_function("tree_add_profile", |b| {
        b.iter(|| {
            let mut t = Tree::new();
            for p in inputs(black_box(&profiles), PER_ITERATION) {
                t.add_profile(p, 1);
            }
            t
        })
    });
    group.finish();
}

criterion_group!(benches, merge);
criterion_main!(benches);
