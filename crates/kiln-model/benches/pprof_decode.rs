//! `pprof::decode` against a bare prost decode of the same bytes, plain and
//! gzipped, on a synthetic Go-like CPU profile and on the real Go fixture.

mod common;

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use kiln_model::pb::google::v1::Profile as PbProfile;
use kiln_model::pprof;
use prost::Message;

use common::rng::Rng;
use common::service::{Service, Shape};

/// Uncompressed pprof bytes of a Go-like CPU profile: ~5,000 samples over
/// ~2,000 locations, depth 10 to 40, `samples/count` and `cpu/nanoseconds`.
fn synthetic_pprof() -> Vec<u8> {
    let mut rng = Rng::new(1);
    let service = Service::new(&mut rng, &Shape { functions: 1_500, locations: 2_000, stacks: 8_000 });
    let profile = service.profile(&mut rng, 5_000);
    let bytes = pprof::encode(&profile);
    eprintln!(
        "synthetic pprof: {} bytes, {} samples, {} locations, {} functions, {} strings",
        bytes.len(),
        profile.samples.len(),
        profile.locations.len(),
        profile.functions.len(),
        profile.strings.len()
    );
    bytes
}

fn go_fixture() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/go/cpu.pb.gz");
    let gz = std::fs::read(path).expect("read the Go CPU fixture");
    gunzip(&gz)
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out).expect("valid gzip");
    out
}

/// Ours and prost's decode of `raw`, then of its gzipped form; throughput is
/// in uncompressed bytes for both.
fn compare(group: &mut BenchmarkGroup<'_, WallTime>, input: &str, raw: &[u8]) {
    let gz = kiln_model::gzip::gzip(raw);
    group.throughput(Throughput::Bytes(raw.len() as u64));
    group.bench_function(format!("{input}/kiln"), |b| b.iter(|| pprof::decode(black_box(raw)).expect("decodes")));
    group.bench_function(format!("{input}/prost"), |b| b.iter(|| PbProfile::decode(black_box(raw)).expect("decodes")));
    group.bench_function(format!("{input}.gz/kiln"), |b| b.iter(|| pprof::decode(black_box(&gz)).expect("decodes")));
    group.bench_function(format!("{input}.gz/gunzip+prost"), |b| {
        b.iter(|| PbProfile::decode(gunzip(black_box(&gz)).as_slice()).expect("decodes"))
    });
}

fn pprof_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("pprof_decode");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    compare(&mut group, "synthetic", &synthetic_pprof());
    compare(&mut group, "go_fixture", &go_fixture());
    group.finish();
}

criterion_group!(benches, pprof_decode);
criterion_main!(benches);
