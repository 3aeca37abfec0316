//! Bytes stored per profile for a steady service: the same code paths
//! profiled every 10 s for a day (8,640 CPU profiles of 400 to 700 samples
//! drawn from one pool of stacks), ingested and compacted, against the
//! gzipped pprof bytes that were ingested. Goal: at most 1/10.

mod common;

use std::sync::Arc;

use common::{go_service, ingest_profile, labels, local_store, Clock, HOUR, SEC, T0};
use kiln_model::pprof;

const PROFILES: i64 = 8_640;
const BATCH: i64 = 60;

fn main() {
    let (service, mut rng) = go_service(7);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let clock = Clock::new(T0);
    let (store, dir) = rt.block_on(local_store(clock.config()));
    let (mut gz_bytes, mut samples) = (0usize, 0usize);
    let started = std::time::Instant::now();
    for batch in 0..PROFILES / BATCH {
        let profiles: Vec<_> = (batch * BATCH..(batch + 1) * BATCH)
            .map(|i| {
                let n = rng.range(400, 700);
                let gz = pprof::encode_gzip(&service.profile(&mut rng, n));
                gz_bytes += gz.len();
                // As the server does: the profile comes in gzipped.
                let p = pprof::decode(&gz).expect("decodes");
                samples += p.samples.len();
                ingest_profile(i as u128, T0 + i * 10 * SEC, labels("checkout", 0), Arc::new(p))
            })
            .collect();
        rt.block_on(store.ingest("bench", profiles)).unwrap();
    }
    let before = store.stats("bench");
    clock.set(T0 + 26 * HOUR);
    rt.block_on(store.maintain_now()).unwrap();
    let after = store.stats("bench");
    let on_disk = dir_bytes(dir.path());
    let per_profile = after.bytes as f64 / PROFILES as f64;
    let gz_per_profile = gz_bytes as f64 / PROFILES as f64;
    println!(
        "profiles: {PROFILES}, samples/profile: {:.0}, ingest + compaction {:?}",
        samples as f64 / PROFILES as f64,
        started.elapsed()
    );
    println!(
        "segments before compaction: {} objects, {} bytes ({:.0} B/profile)",
        before.objects,
        before.bytes,
        before.bytes as f64 / PROFILES as f64
    );
    println!(
        "after compaction: {} objects, {} bytes; on disk under the store dir: {on_disk} bytes",
        after.objects, after.bytes
    );
    println!("stored bytes/profile: {per_profile:.0}");
    println!("baseline gzipped pprof bytes/profile: {gz_per_profile:.0}");
    println!(
        "ratio stored/gzipped: 1/{:.1} (goal <= 1/10: {})",
        gz_per_profile / per_profile,
        per_profile * 10.0 <= gz_per_profile
    );
    rt.block_on(store.close());
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| if e.path().is_dir() { dir_bytes(&e.path()) } else { e.metadata().map_or(0, |m| m.len()) })
        .sum()
}
