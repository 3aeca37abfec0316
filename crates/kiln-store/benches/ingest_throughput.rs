//! Ingest throughput as the server will do it (gunzip + `pprof::decode` +
//! `Store::ingest` on local disk, fsync on, the server's default 50 ms
//! group commit, `KILN_IN_FLIGHT` requests in flight, default 128: a fleet
//! of SDKs each waiting for its answer) against bare gunzip + prost decode
//! of the same payloads, both on one runtime thread (segment encoding and
//! fsync run on tokio's blocking pool, as in the server). Also times
//! gunzip + `pprof::decode` alone, to split the cost. Goal: at least 50% of
//! the baseline's throughput.

mod common;

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{cpu_seconds, go_service, ingest_profile, labels, local_store, Clock, SEC, T0};
use kiln_model::pb::google::v1::Profile as PbProfile;
use kiln_model::pprof;
use prost::Message;

const PAYLOADS: usize = 600;
const RUNS: usize = 3;

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out).expect("gzip");
    out
}

fn in_flight() -> usize {
    std::env::var("KILN_IN_FLIGHT").ok().and_then(|s| s.parse().ok()).unwrap_or(128)
}

fn decode_only(payloads: &[Vec<u8>]) -> usize {
    payloads.iter().map(|gz| pprof::decode(gz).expect("decodes").samples.len()).sum()
}

fn baseline(payloads: &[Vec<u8>]) -> usize {
    payloads.iter().map(|gz| PbProfile::decode(gunzip(gz).as_slice()).expect("decodes").sample.len()).sum()
}

async fn ours(payloads: Arc<Vec<Vec<u8>>>, run: usize) -> usize {
    let config = kiln_store::StoreConfig {
        segment_interval: kiln_store::StoreConfig::default().segment_interval,
        ..Clock::new(T0).config()
    };
    let (store, _dir) = local_store(config).await;
    let next = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..in_flight())
        .map(|_| {
            let (store, payloads, next, samples) = (store.clone(), payloads.clone(), next.clone(), samples.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(gz) = payloads.get(i) else { return };
                    let p = pprof::decode(gz).expect("decodes");
                    samples.fetch_add(p.samples.len(), Ordering::Relaxed);
                    let id = (run * PAYLOADS + i) as u128;
                    let time = T0 + i as i64 * SEC;
                    let series = labels(&format!("svc-{}", i % 10), i % 7);
                    store.ingest("bench", &[ingest_profile(id, time, series, Arc::new(p))]).await.expect("ingest");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    store.close().await;
    samples.load(Ordering::Relaxed)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, f64) {
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let out = f();
    (out, wall.elapsed(), cpu_seconds() - cpu)
}

fn main() {
    let (service, mut rng) = go_service(7);
    let payloads: Vec<Vec<u8>> = (0..PAYLOADS)
        .map(|_| {
            let n = rng.range(400, 700);
            pprof::encode_gzip(&service.profile(&mut rng, n))
        })
        .collect();
    let mb = payloads.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "{PAYLOADS} gzipped pprof payloads, {mb:.1} MB, {} runs each, best run reported, {} in flight",
        RUNS,
        in_flight()
    );
    let payloads = Arc::new(payloads);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (mut base_best, mut ours_best, mut base_cpu, mut ours_cpu) = (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    for run in 0..RUNS {
        let (n, wall, cpu) = timed(|| baseline(&payloads));
        println!(
            "run {run}: baseline gunzip+prost: {wall:?} wall, {cpu:.2} s CPU, {:.0} profiles/s, {n} samples",
            PAYLOADS as f64 / wall.as_secs_f64()
        );
        base_best = base_best.min(wall.as_secs_f64());
        base_cpu = base_cpu.min(cpu);
        let (_, wall, cpu) = timed(|| decode_only(&payloads));
        println!("run {run}: gunzip+pprof::decode alone: {wall:?} wall, {cpu:.2} s CPU");
        let (n, wall, cpu) = timed(|| rt.block_on(ours(payloads.clone(), run)));
        println!(
            "run {run}: kiln gunzip+decode+ingest: {wall:?} wall, {cpu:.2} s CPU, {:.0} profiles/s, {n} samples",
            PAYLOADS as f64 / wall.as_secs_f64()
        );
        ours_best = ours_best.min(wall.as_secs_f64());
        ours_cpu = ours_cpu.min(cpu);
    }
    println!(
        "best: baseline {:.0} profiles/s ({:.1} MB/s gzipped), kiln {:.0} profiles/s ({:.1} MB/s); ratio {:.2} (goal >= 0.50)",
        PAYLOADS as f64 / base_best,
        mb / base_best,
        PAYLOADS as f64 / ours_best,
        mb / ours_best,
        base_best / ours_best
    );
    println!(
        "best CPU time: baseline {base_cpu:.2} s, kiln {ours_cpu:.2} s; CPU-time ratio {:.2}",
        base_cpu / ours_cpu
    );
}
