//! Shared helpers: the backends every test runs against (local disk,
//! memory, and a real 3-node Garage cluster over S3), a settable clock,
//! and profiles with known stacks.

#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiln_model::{Label, Profile, ProfileBuilder, Tree};
use kiln_store::{IngestProfile, IngestSeries, Labels, Store, StoreConfig};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::ObjectStore;

pub const HOUR: i64 = 3_600_000_000_000;
pub const SEC: i64 = 1_000_000_000;
/// 2026-01-01T00:00:00Z
pub const T0: i64 = 1_767_225_600 * SEC;

/// A backend and what keeps it alive (the temporary directory, the Garage
/// cluster).
pub struct Backend {
    pub store: Arc<dyn ObjectStore>,
    pub dir: Option<tempfile::TempDir>,
    pub cluster: Option<kiln_testkit::GarageCluster>,
}

pub fn local() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let fs = LocalFileSystem::new_with_prefix(dir.path()).unwrap().with_fsync(true);
    Backend { store: Arc::new(fs), dir: Some(dir), cluster: None }
}

pub fn memory() -> Backend {
    Backend { store: Arc::new(InMemory::new()), dir: None, cluster: None }
}

/// A 3-node Garage cluster (replication factor 3, real `garage server`
/// processes on loopback) started for this test, reached over S3 as a
/// server reaches it: `object_store_from_url` on `s3://kiln/suite`.
pub fn garage() -> Backend {
    let cluster = kiln_testkit::GarageCluster::start(3, 3).expect("the Garage cluster starts");
    let credentials = cluster.credentials();
    let options = kiln_store::remote::RemoteOptions {
        endpoint: Some(cluster.s3_endpoint(0)),
        region: Some(kiln_testkit::REGION.to_owned()),
        path_style: true,
        access_key_id: Some(credentials.access_key_id.clone()),
        secret_access_key: Some(credentials.secret_access_key.clone()),
        ..Default::default()
    };
    let url = format!("s3://{}/suite", cluster.bucket());
    let store = kiln_store::remote::object_store_from_url(&url, &options).unwrap();
    Backend { store, dir: None, cluster: Some(cluster) }
}

/// A clock tests move by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl TestClock {
    pub fn new(t: i64) -> Self {
        TestClock(Arc::new(AtomicI64::new(t)))
    }
    pub fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }
}

pub fn config(clock: &TestClock) -> StoreConfig {
    let c = clock.0.clone();
    StoreConfig {
        segment_interval: Duration::from_millis(5),
        maintenance_interval: None,
        delete_delay: Duration::ZERO,
        clock: Arc::new(move || c.load(Ordering::SeqCst)),
        ..StoreConfig::default()
    }
}

pub async fn open(b: &Backend, clock: &TestClock) -> Store {
    Store::open(b.store.clone(), config(clock)).await.unwrap()
}

pub fn labels(service: &str, extra: &[(&str, &str)]) -> Labels {
    let mut l: Labels = vec![
        ("service_name".into(), service.into()),
        ("__profile_type__".into(), "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into()),
    ];
    l.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    kiln_store::normalize_labels(l)
}

/// A CPU profile of `(root-first stack, value)` pairs.
pub fn profile(stacks: &[(&str, i64)]) -> Profile {
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    for (s, v) in stacks {
        b.add_stack(&s.split(';').collect::<Vec<_>>(), &[*v]);
    }
    b.build()
}

/// A profile whose first sample carries a `span_id` label.
pub fn profile_with_span(stack: &str, value: i64, span: &str) -> Profile {
    let mut p = profile(&[(stack, value)]);
    let key = p.strings.len() as u32;
    p.strings.push("span_id".into());
    p.strings.push(span.into());
    p.samples[0].labels.push(Label { key, str: key + 1, num: 0, num_unit: 0 });
    p
}

pub fn ingest_one(id: u128, time: i64, labels: Labels, p: Profile) -> IngestProfile {
    IngestProfile {
        id,
        time_nanos: time,
        duration_nanos: 10 * SEC,
        profile: Arc::new(p),
        series: vec![IngestSeries { labels, sample_type: 0 }],
    }
}

pub fn tree(stacks: &[(&str, i64)]) -> Tree {
    Tree::from_profile(&profile(stacks), 0)
}
