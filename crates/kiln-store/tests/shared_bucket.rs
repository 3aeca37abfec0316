//! Several stores on one object store, as several Kiln nodes on one
//! bucket: readers see writers' data after a refresh, names never collide,
//! exactly one store holds the compactor lease and another takes it over,
//! compaction by two candidates never duplicates data, and a query whose
//! planned object was compacted away on another node re-plans, and a
//! querier reads a block's sections from the bucket once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use common::*;
use futures::stream::BoxStream;
use futures::TryStreamExt;
use kiln_store::{AllSeries, LeaseConfig, Store, StoreConfig, TimeRange};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

const ALL: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };

/// A node sharing the object store: catalog refreshed by listing (by hand
/// in these tests: the timer is an hour), maintenance by hand under a
/// short lease.
fn node(clock: &TestClock, name: &str) -> StoreConfig {
    StoreConfig {
        node_id: name.into(),
        refresh_interval: Some(Duration::from_secs(3600)),
        lease: Some(LeaseConfig { ttl: Duration::from_millis(600), settle: Duration::from_millis(30) }),
        ..config(clock)
    }
}

async fn open_node(b: &Backend, clock: &TestClock, name: &str) -> Store {
    Store::open(b.store.clone(), node(clock, name)).await.unwrap()
}

/// Ingests `n` profiles of one stack each, one segment per call.
async fn ingest(s: &Store, first_id: u128, n: u128, time: i64, stack: &str) {
    for id in first_id..first_id + n {
        let p = ingest_one(id, time + id as i64 * SEC, labels("api", &[]), profile(&[(stack, 10)]));
        s.ingest("t", vec![p]).await.unwrap();
    }
}

/// The merged flame graph of tenant `t`, as folded stacks.
async fn stacks(s: &Store) -> BTreeMap<String, i64> {
    s.merge_tree("t", &AllSeries, ALL).await.unwrap().folded_map()
}

fn folded(stacks: &[(&str, i64)]) -> BTreeMap<String, i64> {
    tree(stacks).folded_map()
}

async fn block_paths(b: &Backend) -> Vec<Path> {
    let listed: Vec<_> = b.store.list(Some(&Path::from("blocks"))).try_collect().await.unwrap();
    listed.into_iter().map(|m| m.location).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_sees_a_writers_profiles_after_a_refresh() {
    let b = memory();
    let clock = TestClock::new(T0);
    let writer = open_node(&b, &clock, "ingester-1").await;
    let reader = open_node(&b, &clock, "querier-1").await;
    ingest(&writer, 1, 3, T0, "main;work").await;
    assert_eq!(stacks(&reader).await, folded(&[]), "nothing before a refresh");
    reader.refresh().await.unwrap();
    assert_eq!(stacks(&reader).await, folded(&[("main;work", 30)]));
    assert_eq!(reader.stats("t").profiles, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_with_one_name_and_one_clock_never_write_the_same_object() {
    let b = memory();
    let clock = TestClock::new(T0);
    let one = open_node(&b, &clock, "same").await;
    let two = open_node(&b, &clock, "same").await;
    ingest(&one, 1, 2, T0, "a").await;
    ingest(&two, 1, 2, T0, "b").await;
    let paths = block_paths(&b).await;
    assert_eq!(paths.iter().collect::<BTreeSet<_>>().len(), 4, "{paths:?}");
    let reader = open_node(&b, &clock, "reader").await;
    assert_eq!(stacks(&reader).await, folded(&[("a", 20), ("b", 20)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_drops_what_another_node_compacted_and_counts_it_once() {
    let b = memory();
    let clock = TestClock::new(T0);
    let ingester = open_node(&b, &clock, "ingester").await;
    let compactor = open_node(&b, &clock, "compactor").await;
    let reader = open_node(&b, &clock, "reader").await;
    ingest(&ingester, 1, 4, T0, "main;work").await;
    reader.refresh().await.unwrap();
    assert_eq!(reader.stats("t").objects, 4);
    clock.set(T0 + 3 * HOUR);
    compactor.maintain_now().await.unwrap();
    reader.refresh().await.unwrap();
    assert_eq!(reader.stats("t").objects, 1, "the segments are replaced by one block");
    assert_eq!(stacks(&reader).await, folded(&[("main;work", 40)]));
    assert_eq!(block_paths(&b).await.len(), 1, "the lease holder deleted the segments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_two_compactors_holds_the_lease_deletes_and_the_other_takes_over_when_it_stops() {
    let b = memory();
    let clock = TestClock::new(T0);
    let first = open_node(&b, &clock, "compactor-a").await;
    let second = open_node(&b, &clock, "compactor-b").await;
    let (a, b2) = tokio::join!(first.maintain(), second.maintain());
    a.unwrap();
    b2.unwrap();
    let held = [first.lease_holder().1, second.lease_holder().1];
    assert_eq!(held.iter().filter(|h| **h).count(), 1, "{held:?}");
    let (holder, other) = if held[0] { (&first, &second) } else { (&second, &first) };
    other.maintain().await.unwrap();
    assert!(!other.lease_holder().1, "a held lease is not taken");
    let refused = other.delete_service("t", "api").await.expect_err("only the holder deletes");
    assert!(refused.message.contains("lease"), "{refused}");
    // The holder stops renewing (as if killed): it stops trusting its
    // lease after half the ttl, and the other takes it once it expires.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!holder.lease_holder().1);
    other.maintain().await.unwrap();
    assert!(other.lease_holder().1, "the other compactor took over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_compactor_hands_its_lease_over_at_once() {
    let b = memory();
    let clock = TestClock::new(T0);
    let first = open_node(&b, &clock, "compactor-a").await;
    first.maintain().await.unwrap();
    assert!(first.lease_holder().1);
    let second = open_node(&b, &clock, "compactor-b").await;
    second.maintain().await.unwrap();
    assert!(!second.lease_holder().1);
    first.close().await;
    second.maintain().await.unwrap();
    assert!(second.lease_holder().1, "no wait for the ttl after a clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_compactors_racing_compact_every_segment_once() {
    let b = memory();
    let clock = TestClock::new(T0);
    let ingester = open_node(&b, &clock, "ingester").await;
    let first = open_node(&b, &clock, "compactor-a").await;
    let second = open_node(&b, &clock, "compactor-b").await;
    let mut expected = 0;
    for round in 0..4u128 {
        ingest(&ingester, round * 10, 3, T0 + round as i64 * HOUR, "main;work").await;
        expected += 30;
        clock.set(T0 + (round as i64 + 3) * HOUR);
        let (x, y) = tokio::join!(first.maintain_now(), second.maintain_now());
        x.unwrap();
        y.unwrap();
    }
    let reader = open_node(&b, &clock, "reader").await;
    assert_eq!(stacks(&reader).await, folded(&[("main;work", expected)]));
    assert_eq!(reader.stats("t").profiles, 12, "no profile counted twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_planned_on_a_stale_catalog_replans_when_its_objects_were_compacted_away() {
    let b = memory();
    let clock = TestClock::new(T0);
    let ingester = open_node(&b, &clock, "ingester").await;
    let compactor = open_node(&b, &clock, "compactor").await;
    let reader = open_node(&b, &clock, "reader").await;
    ingest(&ingester, 1, 3, T0, "main;work").await;
    reader.refresh().await.unwrap();
    clock.set(T0 + 3 * HOUR);
    // Compacted and deleted at once, while the reader still plans with the segments.
    compactor.maintain_now().await.unwrap();
    assert_eq!(block_paths(&b).await.len(), 1);
    assert_eq!(reader.stats("t").objects, 3, "the reader's catalog is stale");
    assert_eq!(stacks(&reader).await, folded(&[("main;work", 30)]));
    let totals = reader.series_totals("t", &AllSeries, ALL, HOUR, &[]).await.unwrap();
    assert_eq!(totals.values().flat_map(|t| t.values()).map(|(sum, _)| sum).sum::<i64>(), 30);
    assert_eq!(reader.profile_by_id("t", 2).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_nodes_leave_replaced_objects_to_the_lease_holder_at_open() {
    let b = memory();
    let clock = TestClock::new(T0);
    let ingester = open_node(&b, &clock, "ingester").await;
    ingest(&ingester, 1, 2, T0, "a").await;
    // A compactor that wrote its block and died before deleting the sources.
    let alone = Store::open(b.store.clone(), StoreConfig { node_id: "old".into(), ..config(&clock) }).await.unwrap();
    clock.set(T0 + 3 * HOUR);
    let sources = block_paths(&b).await;
    let copies: Vec<_> = futures::future::join_all(sources.iter().map(|p| b.store.get(p))).await;
    let copies: Vec<_> = futures::future::join_all(copies.into_iter().map(|r| r.unwrap().bytes())).await;
    alone.maintain_now().await.unwrap();
    for (p, bytes) in sources.iter().zip(copies) {
        b.store.put(p, bytes.unwrap().into()).await.unwrap();
    }
    assert_eq!(block_paths(&b).await.len(), 3);
    let reader = open_node(&b, &clock, "reader").await;
    assert_eq!(block_paths(&b).await.len(), 3, "a shared node deletes nothing at open");
    assert_eq!(stacks(&reader).await, folded(&[("a", 20)]));
    let compactor = open_node(&b, &clock, "compactor").await;
    compactor.maintain_now().await.unwrap();
    assert_eq!(block_paths(&b).await.len(), 1, "the lease holder deleted the replaced sources");
    reader.refresh().await.unwrap();
    assert_eq!(stacks(&reader).await, folded(&[("a", 20)]));
}

/// An in-memory bucket that counts read requests.
#[derive(Debug, Default)]
struct CountingReads {
    inner: InMemory,
    gets: AtomicUsize,
}

impl fmt::Display for CountingReads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountingReads")
    }
}

#[async_trait]
impl ObjectStore for CountingReads {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[std::ops::Range<u64>]) -> Result<Vec<bytes::Bytes>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// Read requests of a second flame graph and a totals query, after a
/// first flame graph, with no decoded-partition cache.
async fn repeat_reads(section_cache_bytes: usize) -> usize {
    let bucket = Arc::new(CountingReads::default());
    let clock = TestClock::new(T0);
    // A querier keeps no open-window sums (it ingests nothing): off here too,
    // so the merges read sections.
    let cfg = StoreConfig { cache_bytes: 0, section_cache_bytes, recent_bytes: 0, ..node(&clock, "querier") };
    let store = Store::open(bucket.clone(), cfg).await.unwrap();
    ingest(&store, 1, 3, T0, "main;work").await;
    assert_eq!(stacks(&store).await, folded(&[("main;work", 30)]));
    let before = bucket.gets.load(Ordering::SeqCst);
    assert_eq!(stacks(&store).await, folded(&[("main;work", 30)]));
    let totals = store.series_totals("t", &AllSeries, ALL, HOUR, &[]).await.unwrap();
    assert_eq!(totals.values().flat_map(|t| t.values()).map(|(sum, _)| sum).sum::<i64>(), 30);
    bucket.gets.load(Ordering::SeqCst) - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_querier_reads_each_section_from_the_bucket_once() {
    assert_eq!(repeat_reads(1 << 20).await, 0, "every section came from the cache");
    assert!(repeat_reads(0).await >= 3, "without it, each segment is read again");
}
