//! A memory-backed store with known profiles, and the reference answers
//! computed from them directly (helpers adapted from kiln-store's tests).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiln_model::{ProfileBuilder, Tree};
use kiln_query::TimeRangeMs;
use kiln_store::{IngestProfile, IngestSeries, Labels, Store, StoreConfig};
use object_store::memory::InMemory;

pub const SEC: i64 = 1_000_000_000;
pub const MS: i64 = 1_000_000;
/// 2026-01-01T00:00:00Z in ns.
pub const T0: i64 = 1_767_225_600 * SEC;
/// The same instant in ms.
pub const T0_MS: i64 = T0 / MS;
pub const TENANT: &str = "t1";
pub const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
pub const ALLOC: &str = "memory:alloc_space:bytes:space:bytes";

/// One ingested profile, as the reference sees it.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub labels: Labels,
    pub time_nanos: i64,
    pub stacks: Vec<(String, i64)>,
}

impl Ingested {
    pub fn label(&self, name: &str) -> &str {
        self.labels.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn total(&self) -> i64 {
        self.stacks.iter().map(|s| s.1).sum()
    }

    pub fn tree(&self) -> Tree {
        let mut t = Tree::new();
        for (s, v) in &self.stacks {
            t.insert_stack(&s.split(';').collect::<Vec<_>>(), *v);
        }
        t
    }
}

/// A memory store opened at `T0` with fast segment flushes.
pub async fn open() -> Store {
    open_with_clock().await.0
}

/// [`open`], with the store's clock to move by hand.
pub async fn open_with_clock() -> (Store, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(T0));
    let clock = now.clone();
    let config = StoreConfig {
        segment_interval: Duration::from_millis(5),
        maintenance_interval: None,
        delete_delay: Duration::ZERO,
        clock: Arc::new(move || clock.load(Ordering::SeqCst)),
        ..StoreConfig::default()
    };
    (Store::open(Arc::new(InMemory::new()), config).await.unwrap(), now)
}

/// Series labels the way ingestion writes them, sorted.
pub fn labels(service: &str, profile_type: &str, extra: &[(&str, &str)]) -> Labels {
    let parts: Vec<&str> = profile_type.split(':').collect();
    let mut l: Labels = vec![
        ("service_name".into(), service.into()),
        ("__profile_type__".into(), profile_type.into()),
        ("__name__".into(), parts[0].into()),
        ("__type__".into(), parts[1].into()),
    ];
    l.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    kiln_store::normalize_labels(l)
}

/// Ingests profiles in one batch, each with a fresh id.
pub async fn ingest(store: &Store, profiles: &[Ingested]) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let mut batch = Vec::new();
    for p in profiles {
        let (types, unit) =
            if p.label("__name__") == "memory" { ("alloc_space", "bytes") } else { ("cpu", "nanoseconds") };
        let mut b = ProfileBuilder::new(&[(types, unit)], ("cpu", "nanoseconds"), 10_000_000);
        for (s, v) in &p.stacks {
            b.add_stack(&s.split(';').collect::<Vec<_>>(), &[*v]);
        }
        let one = IngestProfile {
            id: u128::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            time_nanos: p.time_nanos,
            duration_nanos: 10 * SEC,
            profile: Arc::new(b.build()),
            series: vec![IngestSeries { labels: p.labels.clone(), sample_type: 0 }],
        };
        batch.push(one);
    }
    store.ingest(TENANT, batch).await.unwrap();
}

/// A fixture series: service, profile type, other labels.
type SeriesSpec = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The fixture: 12 steps of 10 s, each a few hundred µs late on some
/// steps; api pods a and b (prod), db pod c (staging), web pod d (dev,
/// eu-west) with a gap between 40 s and 90 s; api also has alloc_space.
pub fn fixture() -> Vec<Ingested> {
    let series: [SeriesSpec; 5] = [
        ("api", CPU, &[("pod", "a"), ("env", "prod"), ("region", "us-east")]),
        ("api", CPU, &[("pod", "b"), ("env", "prod"), ("region", "us-east")]),
        ("db", CPU, &[("pod", "c"), ("env", "staging"), ("region", "us-west")]),
        ("web", CPU, &[("pod", "d"), ("env", "dev"), ("region", "eu-west")]),
        ("api", ALLOC, &[("pod", "a"), ("env", "prod"), ("region", "us-east")]),
    ];
    let mut out = Vec::new();
    for i in 0..12i64 {
        for (s, (svc, ty, extra)) in series.iter().enumerate() {
            if *svc == "web" && (4..9).contains(&i) {
                continue;
            }
            let s = s as i64;
            let stacks = vec![
                ("main;work;compute".to_string(), 10 + i * (s + 1)),
                ("main;work;io".to_string(), 3 + s),
                (format!("main;{svc}_handler"), 7 + (i % 4)),
                ("gc".to_string(), 1 + (i % 2)),
            ];
            let jitter = (i % 3) * 300 * 1000;
            out.push(Ingested { labels: labels(svc, ty, extra), time_nanos: T0 + i * 10 * SEC + jitter, stacks });
        }
    }
    out
}

/// A store holding the fixture.
pub async fn fixture_store() -> (Store, Vec<Ingested>) {
    let store = open().await;
    let data = fixture();
    ingest(&store, &data).await;
    (store, data)
}

/// A store holding the fixture compacted into blocks with rollups.
pub async fn compacted_fixture_store() -> (Store, Vec<Ingested>) {
    let (store, clock) = open_with_clock().await;
    let data = fixture();
    let (early, late) = data.split_at(data.len() / 2);
    ingest(&store, early).await;
    ingest(&store, late).await;
    let objects = store.stats(TENANT).objects;
    clock.store(T0 + 3 * 3600 * SEC, Ordering::SeqCst);
    store.maintain_now().await.unwrap();
    assert_eq!((objects, store.stats(TENANT).objects), (2, 1), "two segments compact into one block");
    (store, data)
}

/// Whether a profile lies in a ms range as Pyroscope compares it: its
/// nanoseconds within `[start*1e6, end*1e6]`.
pub fn in_range(p: &Ingested, r: TimeRangeMs) -> bool {
    r.start * MS <= p.time_nanos && p.time_nanos <= r.end * MS
}

/// The merged tree of the profiles `keep` accepts within the range.
pub fn merged(data: &[Ingested], r: TimeRangeMs, keep: impl Fn(&Ingested) -> bool) -> Tree {
    let mut t = Tree::new();
    for p in data.iter().filter(|p| in_range(p, r) && keep(p)) {
        t.merge(&p.tree());
    }
    t
}

/// Reference points: for each `t = start + k*step <= end`, the profiles
/// whose ms timestamp lies in `(t - step, t]`, summed or averaged; empty
/// steps left out.
pub fn points(profiles: &[&Ingested], r: TimeRangeMs, step_ms: i64, average: bool) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let mut t = r.start;
    while t <= r.end {
        let hits: Vec<i64> = profiles
            .iter()
            .filter(|p| in_range(p, r))
            .filter(|p| (t - step_ms < p.time_nanos / MS) && p.time_nanos / MS <= t)
            .map(|p| p.total())
            .collect();
        if !hits.is_empty() {
            let sum: i64 = hits.iter().sum();
            out.push((t, if average { sum as f64 / hits.len() as f64 } else { sum as f64 }));
        }
        t += step_ms;
    }
    out
}

/// Reference series grouped by the `by` labels each profile has.
pub fn grouped_points(
    data: &[Ingested],
    keep: impl Fn(&Ingested) -> bool,
    by: &[&str],
    r: TimeRangeMs,
    step_ms: i64,
    average: bool,
) -> BTreeMap<Labels, Vec<(i64, f64)>> {
    let mut groups: BTreeMap<Labels, Vec<&Ingested>> = BTreeMap::new();
    for p in data.iter().filter(|p| keep(p)) {
        let key: Labels = p.labels.iter().filter(|(n, _)| by.contains(&n.as_str())).cloned().collect();
        groups.entry(key).or_default().push(p);
    }
    groups.into_iter().map(|(k, ps)| (k, points(&ps, r, step_ms, average))).filter(|(_, pts)| !pts.is_empty()).collect()
}
