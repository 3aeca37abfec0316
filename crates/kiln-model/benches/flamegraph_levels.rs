//! `flame_graph` of a ~100,000-node tree, whole and cut to 8192 nodes,
//! against `folded::encode_tree` of the same tree (one full traversal).

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kiln_model::flamegraph::{flame_graph, DEFAULT_MAX_NODES};
use kiln_model::{folded, Tree};

use common::rng::Rng;
use common::service::{Service, Shape};

/// The call tree of every stack of a large synthetic service.
fn big_tree() -> Tree {
    let mut rng = Rng::new(3);
    let shape = Shape { functions: 5_000, locations: 8_000, stacks: 6_600 };
    let service = Service::new(&mut rng, &shape);
    let profile = service.profile(&mut rng, shape.stacks);
    let tree = Tree::from_profile(&profile, 1);
    eprintln!("flamegraph tree: {} nodes", tree.len());
    tree
}

fn flamegraph_levels(c: &mut Criterion) {
    let tree = big_tree();
    let mut group = c.benchmark_group("flamegraph_levels");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(tree.len() as u64));
    group.bench_function("flame_graph/all", |b| b.iter(|| flame_graph(black_box(&tree), 0)));
    group.bench_function("flame_graph/8192", |b| b.iter(|| flame_graph(black_box(&tree), DEFAULT_MAX_NODES)));
    group.bench_function("folded_encode_tree", |b| b.iter(|| folded::encode_tree(black_box(&tree))));
    group.finish();
}

criterion_group!(benches, flamegraph_levels);
criterion_main!(benches);
