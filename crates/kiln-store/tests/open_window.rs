//! The open window's pre-aggregate (`recent.rs`): merges over recent data
//! answer exactly what raw rows answer, through compaction, restarts,
//! deletion and its memory bound, and whole recent buckets are read
//! without touching a segment.

mod common;

use std::collections::BTreeMap;

use common::*;
use futures::TryStreamExt;
use kiln_model::Tree;
use kiln_store::{AllSeries, ErrorKind, Labels, LabelsEqual, Store, StoreConfig, TimeRange};
use object_store::ObjectStoreExt;

const ALL_TIME: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };
const SERVICES: [&str; 2] = ["api", "db"];
const PODS: i64 = 3;

/// The profile of one pod of one service at second `i`: values that
/// differ by time, pod and service, so any row counted twice or missed
/// shows in the sums.
fn stacks(s: usize, pod: i64, i: i64) -> Vec<(String, i64)> {
    vec![
        (format!("main;{};work", SERVICES[s]), 1 + i),
        (format!("main;pod{pod};b"), 3 + s as i64),
        ("main;idle".to_string(), i % 7 + 1),
    ]
}

/// Every pod of every service sends one profile per second for `seconds`
/// seconds from `start`, one ingest call (one segment) per second.
/// Returns what was sent, by time.
async fn ingest_fleet(store: &Store, start: i64, seconds: i64) -> Vec<(i64, usize, Tree)> {
    let mut sent = Vec::new();
    for i in 0..seconds {
        let t = start + i * SEC;
        let mut batch = Vec::new();
        for (s, svc) in SERVICES.iter().enumerate() {
            for pod in 0..PODS {
                let st = stacks(s, pod, i);
                let refs: Vec<(&str, i64)> = st.iter().map(|(a, v)| (a.as_str(), *v)).collect();
                let id = (t as u128) * 100 + (s as u128) * 10 + pod as u128;
                let pod_label = format!("pod{pod}");
                batch.push(ingest_one(id, t, labels(svc, &[("pod", &pod_label)]), profile(&refs)));
                sent.push((t, s, tree(&refs)));
            }
        }
        store.ingest("t1", batch).await.unwrap();
    }
    sent
}

fn expected(sent: &[(i64, usize, Tree)], range: TimeRange, service: Option<usize>) -> BTreeMap<String, i64> {
    let mut t = Tree::new();
    for (time, s, tree) in sent {
        if range.contains(*time) && service.is_none_or(|x| x == *s) {
            t.merge(tree);
        }
    }
    t.folded_map()
}

fn folded(trees: BTreeMap<Labels, Tree>) -> Vec<(Labels, BTreeMap<String, i64>)> {
    trees.into_iter().map(|(k, t)| (k, t.folded_map())).collect()
}

/// Ranges that cover whole buckets, cut buckets at either end, or fall
/// inside one bucket.
fn ranges(start: i64) -> Vec<TimeRange> {
    vec![
        ALL_TIME,
        TimeRange { start, end: start + 60 * SEC },
        TimeRange { start: start + 5 * SEC, end: start + 45 * SEC },
        TimeRange { start: start + 10 * SEC, end: start + 19 * SEC },
        TimeRange { start: start + 12 * SEC, end: start + 17 * SEC },
        TimeRange { start: start + 20 * SEC, end: start + 40 * SEC },
    ]
}

/// Every range, with and without grouping and a service filter: the
/// merge equals the raw rows' merge and the trees of what was sent.
async fn assert_merges_exact(store: &Store, sent: &[(i64, usize, Tree)], start: i64) {
    let by = ["service_name".to_string()];
    let db = LabelsEqual(vec![("service_name".into(), "db".into())]);
    for r in ranges(start) {
        let all = store.merge_tree("t1", &AllSeries, r).await.unwrap();
        assert_eq!(all.folded_map(), expected(sent, r, None), "{r:?}");
        let grouped = folded(store.merge_trees("t1", &AllSeries, r, &by).await.unwrap());
        let raw = folded(store.merge_trees_raw("t1", &AllSeries, r, &by).await.unwrap());
        assert_eq!(grouped, raw, "{r:?}");
        assert_eq!(grouped.len(), 2, "both services have rows in {r:?}");
        let one = store.merge_tree("t1", &db, r).await.unwrap();
        assert_eq!(one.folded_map(), expected(sent, r, Some(1)), "{r:?}");
    }
}

async fn delete_every_object(b: &Backend) {
    let paths: Vec<_> = b.store.list(None).map_ok(|m| m.location).try_collect().await.unwrap();
    assert!(!paths.is_empty());
    for p in paths {
        b.store.delete(&p).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_recent_buckets_are_merged_without_reading_a_segment() {
    let b = memory();
    let clock = TestClock::new(T0 + 60 * SEC);
    let store = open(&b, &clock).await;
    let sent = ingest_fleet(&store, T0, 60).await;
    assert!(store.recent_bytes() > 0);
    let whole = TimeRange { start: T0, end: T0 + 60 * SEC };
    let before = store.merge_tree("t1", &AllSeries, whole).await.unwrap().folded_map();
    assert_eq!(before, expected(&sent, whole, None));
    // Behind the store's back: the catalog still lists the segments, but
    // none can be read.
    delete_every_object(&b).await;
    let raw = store.merge_trees_raw("t1", &AllSeries, whole, &[]).await;
    assert_eq!(raw.unwrap_err().kind, ErrorKind::Gone, "raw rows are gone");
    assert_eq!(store.merge_tree("t1", &AllSeries, whole).await.unwrap().folded_map(), before);
    // A range that cuts a bucket needs that bucket's rows, which are gone.
    let cut = TimeRange { start: T0 + 5 * SEC, end: T0 + 60 * SEC };
    assert_eq!(store.merge_tree("t1", &AllSeries, cut).await.unwrap_err().kind, ErrorKind::Gone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_window_merges_equal_raw_rows_through_compaction_and_closing() {
    let b = memory();
    let clock = TestClock::new(T0 + 60 * SEC);
    let store = open(&b, &clock).await;
    let sent = ingest_fleet(&store, T0, 60).await;
    assert_merges_exact(&store, &sent, T0).await;
    // Open window: segments merge into level-1 blocks, same rows.
    store.maintain_now().await.unwrap();
    assert!(store.stats("t1").objects < 60);
    assert_merges_exact(&store, &sent, T0).await;
    // More segments into the same buckets after compaction.
    let mut later = ingest_fleet(&store, T0 + 60 * SEC, 10).await;
    let mut all = sent.clone();
    all.append(&mut later);
    assert_merges_exact(&store, &all, T0).await;
    // The window closes: its blocks answer from their own rollups.
    clock.set(T0 + 3 * HOUR);
    store.maintain_now().await.unwrap();
    assert_merges_exact(&store, &all, T0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_old_buckets_read_raw_rows_and_late_rows_count_once() {
    let b = local();
    let clock = TestClock::new(T0 + 60 * SEC);
    let store = open(&b, &clock).await;
    let mut sent = ingest_fleet(&store, T0, 25).await;
    store.close().await;
    let store = open(&b, &clock).await;
    assert_merges_exact(&store, &sent, T0).await;
    // Rows into a bucket that already holds rows from before the restart,
    // and into new buckets.
    sent.append(&mut ingest_fleet(&store, T0 + 25 * SEC, 35).await);
    assert_merges_exact(&store, &sent, T0).await;
    store.maintain_now().await.unwrap();
    assert_merges_exact(&store, &sent, T0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_bound_drops_the_oldest_buckets_and_merges_stay_exact() {
    let b = memory();
    let clock = TestClock::new(T0 + 60 * SEC);
    let bound = 8 << 10;
    let config = StoreConfig { recent_bytes: bound, ..config(&clock) };
    let store = Store::open(b.store.clone(), config).await.unwrap();
    let mut sent = Vec::new();
    for k in 0..6 {
        sent.append(&mut ingest_fleet(&store, T0 + k * 10 * SEC, 10).await);
        assert!(store.recent_bytes() <= bound, "{} > {bound}", store.recent_bytes());
    }
    assert!(store.recent_bytes() > 0, "the newest buckets are kept");
    assert_merges_exact(&store, &sent, T0).await;
    // Late rows into the first buckets, dropped long ago: they must not
    // start a bucket that holds only them.
    sent.append(&mut ingest_fleet(&store, T0 + 3 * SEC + SEC / 2, 2).await);
    assert_merges_exact(&store, &sent, T0).await;
    store.maintain_now().await.unwrap();
    assert_merges_exact(&store, &sent, T0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_service_is_not_answered_from_the_aggregate() {
    let b = memory();
    let clock = TestClock::new(T0 + 60 * SEC);
    let store = open(&b, &clock).await;
    let sent = ingest_fleet(&store, T0, 30).await;
    store.delete_service("t1", "db").await.unwrap();
    let api_only: Vec<_> = sent.into_iter().filter(|(_, s, _)| *s == 0).collect();
    for r in ranges(T0) {
        let all = store.merge_tree("t1", &AllSeries, r).await.unwrap();
        assert_eq!(all.folded_map(), expected(&api_only, r, None), "{r:?}");
    }
    store.maintain_now().await.unwrap();
    let all = store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap();
    assert_eq!(all.folded_map(), expected(&api_only, ALL_TIME, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_aggregate_off_merges_read_raw_rows() {
    let b = memory();
    let clock = TestClock::new(T0 + 60 * SEC);
    let config = StoreConfig { recent_bytes: 0, ..config(&clock) };
    let store = Store::open(b.store.clone(), config).await.unwrap();
    let sent = ingest_fleet(&store, T0, 60).await;
    assert_eq!(store.recent_bytes(), 0);
    assert_merges_exact(&store, &sent, T0).await;
}
