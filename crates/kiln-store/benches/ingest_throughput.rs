//! Ingest throughput as the server will do it (gunzip + `pprof::decode` +
//! `Store::ingest` on local disk, fsync on, the server's default 50 ms
//! group commit, `KILN_IN_FLIGHT` requests in flight, default 128: a fleet
//! of SDKs each waiting for its answer) against bare gunzip + prost decode
//! of the same payloads, both on one runtime thread (segment encoding and
//! fsync run on tokio's blocking pool, as in the server). Also times
//! gunzip + `pprof::decode` alone, to split the cost. Each run ingests the
//! payloads twice into one fresh store: cold (every symbol and stack new to
//! the store's dictionaries, as in a service's first minute) and warm (the
//! same service later: a running server's steady state). Goal: at least 50%
//! of the baseline's throughput.

mod common;

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{cpu_seconds, go_service, ingest_profile, labels, local_store, Clock, SEC, T0};
use kiln_model::pb::google::v1::Profile as PbProfile;
use kiln_model::pprof;
use kiln_store::Store;
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

/// One pass over the payloads into `store`, `in_flight()` at a time, each
/// acknowledged once durable; `pass` keeps ids and times apart.
async fn ours(store: &Store, payloads: Arc<Vec<Vec<u8>>>, pass: usize) -> usize {
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
                    let id = (pass * PAYLOADS + i) as u128;
                    let time = T0 + (pass * PAYLOADS + i) as i64 * SEC;
                    let series = labels(&format!("svc-{}", i % 10), i % 7);
                    store.ingest("bench", vec![ingest_profile(id, time, series, Arc::new(p))]).await.expect("ingest");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    samples.load(Ordering::Relaxed)
}

/// A fresh store, then two timed passes: cold (every service's symbols new
/// to the store) and warm (the steady state of a running server).
async fn cold_and_warm(payloads: Arc<Vec<Vec<u8>>>) -> [(usize, Duration, f64); 2] {
    let config = kiln_store::StoreConfig {
        segment_interval: kiln_store::StoreConfig::default().segment_interval,
        ..Clock::new(T0).config()
    };
    let (store, _dir) = local_store(config).await;
    let mut out = [(0, Duration::ZERO, 0.0); 2];
    for (pass, slot) in out.iter_mut().enumerate() {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let n = ours(&store, payloads.clone(), pass).await;
        *slot = (n, wall.elapsed(), cpu_seconds() - cpu);
    }
    store.close().await;
    out
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
    let mut base = Best::default();
    let mut kiln = [Best::default(), Best::default()];
    for run in 0..RUNS {
        let (n, wall, cpu) = timed(|| baseline(&payloads));
        println!(
            "run {run}: baseline gunzip+prost: {wall:?} wall, {cpu:.2} s CPU, {:.0} profiles/s, {n} samples",
            PAYLOADS as f64 / wall.as_secs_f64()
        );
        base.add(wall, cpu);
        let (_, wall, cpu) = timed(|| decode_only(&payloads));
        println!("run {run}: gunzip+pprof::decode alone: {wall:?} wall, {cpu:.2} s CPU");
        let passes = rt.block_on(cold_and_warm(payloads.clone()));
        for ((name, (n, wall, cpu)), best) in ["cold", "warm"].iter().zip(passes).zip(&mut kiln) {
            println!(
                "run {run}: kiln gunzip+decode+ingest, {name} store: {wall:?} wall, {cpu:.2} s CPU, {:.0} profiles/s, {n} samples",
                PAYLOADS as f64 / wall.as_secs_f64()
            );
            best.add(wall, cpu);
        }
    }
    println!(
        "best baseline: {:.0} profiles/s ({:.1} MB/s gzipped), {:.2} s CPU",
        PAYLOADS as f64 / base.wall,
        mb / base.wall,
        base.cpu
    );
    for (name, k) in ["cold", "warm"].iter().zip(&kiln) {
        println!(
            "best kiln, {name} store: {:.0} profiles/s ({:.1} MB/s), {:.2} s CPU; ratio by wall {:.2}, by CPU {:.2} (goal >= 0.50)",
            PAYLOADS as f64 / k.wall,
            mb / k.wall,
            k.cpu,
            base.wall / k.wall,
            base.cpu / k.cpu
        );
    }
}

/// Best (lowest) wall and CPU seconds over runs.
struct Best {
    wall: f64,
    cpu: f64,
}

impl Default for Best {
    fn default() -> Self {
        Best { wall: f64::MAX, cpu: f64::MAX }
    }
}

impl Best {
    fn add(&mut self, wall: Duration, cpu: f64) {
        self.wall = self.wall.min(wall.as_secs_f64());
        self.cpu = self.cpu.min(cpu);
    }
}
