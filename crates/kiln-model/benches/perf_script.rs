//! `perf_script::decode` + `Tree::from_profile` against inferno's perf
//! collapser (default options, one thread) on the same large `perf script`
//! text: the real fixture followed by ~48 MiB of synthetic events.

mod common;
#[path = "common/perf_text.rs"]
mod perf_text;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use inferno::collapse::perf::Folder;
use inferno::collapse::Collapse;
use kiln_model::{perf_script, Tree};

use common::rng::Rng;
use common::service::{Service, Shape};

const MIN_BYTES: usize = 48 << 20;

fn big_perf_script() -> String {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/perf/perf.script.txt");
    let prefix = std::fs::read_to_string(fixture).expect("read the perf script fixture");
    let mut rng = Rng::new(4);
    let service = Service::new(&mut rng, &Shape { functions: 1_500, locations: 2_000, stacks: 4_000 });
    let profile = service.profile(&mut rng, 3_000);
    perf_text::perf_script(&mut rng, &profile, &prefix, MIN_BYTES)
}

fn ours(text: &str) -> Tree {
    let profile = perf_script::decode(text.as_bytes()).expect("decodes");
    Tree::from_profile(&profile, 0)
}

fn inferno(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 20);
    Folder::default().collapse(text.as_bytes(), &mut out).expect("collapses");
    out
}

/// Stacks only one side produced. Counts are not compared: inferno weighs
/// each event by its period, `perf_script::decode` counts it once.
fn differences(text: &str) -> Vec<String> {
    let folded = String::from_utf8(inferno(text)).expect("UTF-8 output");
    let theirs: BTreeSet<&str> = folded.lines().map(|l| l.rsplit_once(' ').map_or(l, |(stack, _)| stack)).collect();
    let mine = ours(text).folded_map();
    let mine: BTreeSet<&str> = mine.keys().map(String::as_str).collect();
    theirs.symmetric_difference(&mine).map(|s| s.to_string()).collect()
}

fn perf_script_collapse(c: &mut Criterion) {
    let text = big_perf_script();
    let diff = differences(&text);
    eprintln!("perf script: {} bytes, {} stacks found by only one side", text.len(), diff.len());
    for stack in diff.iter().take(3) {
        eprintln!("  only one side: {stack}");
    }
    let mut group = c.benchmark_group("perf_script");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("kiln_decode+tree", |b| b.iter(|| ours(black_box(&text))));
    group.bench_function("inferno_folder", |b| b.iter(|| inferno(black_box(&text))));
    group.finish();
}

criterion_group!(benches, perf_script_collapse);
criterion_main!(benches);
