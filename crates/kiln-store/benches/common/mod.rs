//! Shared by the storage benchmarks: the synthetic Go-like service of
//! `kiln-model`'s benchmarks, a settable clock, store setup and the
//! process's own resource figures.

#![allow(dead_code)]

#[path = "../../../kiln-model/benches/common/rng.rs"]
pub mod rng;
#[path = "../../../kiln-model/benches/common/service.rs"]
pub mod service;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiln_model::Profile;
use kiln_store::{IngestProfile, IngestSeries, Labels, Store, StoreConfig};
use object_store::local::LocalFileSystem;

use rng::Rng;
use service::{Service, Shape};

pub const SEC: i64 = 1_000_000_000;
pub const HOUR: i64 = 3600 * SEC;
/// 2026-01-01T00:00:00Z
pub const T0: i64 = 1_767_225_600 * SEC;

/// A Go-like service: 1,200 functions, 2,000 locations, 3,000 stacks of
/// depth 10 to 40 sharing prefixes.
pub fn go_service(seed: u64) -> (Service, Rng) {
    let mut rng = Rng::new(seed);
    let service = Service::new(&mut rng, &Shape { functions: 1_200, locations: 2_000, stacks: 3_000 });
    (service, rng)
}

/// A clock the benchmark moves by hand.
#[derive(Clone)]
pub struct Clock(pub Arc<AtomicI64>);

impl Clock {
    pub fn new(t: i64) -> Clock {
        Clock(Arc::new(AtomicI64::new(t)))
    }
    pub fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }
    pub fn config(&self) -> StoreConfig {
        let c = self.0.clone();
        StoreConfig {
            segment_interval: Duration::from_millis(5),
            maintenance_interval: None,
            delete_delay: Duration::ZERO,
            clock: Arc::new(move || c.load(Ordering::SeqCst)),
            ..StoreConfig::default()
        }
    }
}

/// A store on a fresh local directory, fsync on, as `kiln server` runs it.
pub async fn local_store(config: StoreConfig) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fs = LocalFileSystem::new_with_prefix(dir.path()).expect("local fs").with_fsync(true);
    (Store::open(Arc::new(fs), config).await.expect("open"), dir)
}

pub fn labels(service: &str, pod: usize) -> Labels {
    kiln_store::normalize_labels(vec![
        ("service_name".into(), service.into()),
        ("pod".into(), format!("pod-{pod}")),
        ("__name__".into(), "process_cpu".into()),
    ])
}

/// One profile as the series `labels` of its CPU time (sample type 1).
pub fn ingest_profile(id: u128, time: i64, labels: Labels, profile: Arc<Profile>) -> IngestProfile {
    IngestProfile {
        id,
        time_nanos: time,
        duration_nanos: 10 * SEC,
        profile,
        series: vec![IngestSeries { labels, sample_type: 1 }],
    }
}

/// Resident set size of this process in MiB, from /proc/self/status.
pub fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

/// User + system CPU seconds this process used so far.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The median of some durations.
pub fn p50(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}
