//! One suite, run against local disk (fsync'd), memory and a real 3-node
//! Garage cluster (replication factor 3) over S3 alike.

mod common;

use std::collections::BTreeMap;

use common::*;
use kiln_model::Tree;
use std::time::Duration;

use kiln_store::{AllSeries, LabelsEqual, Store, StoreConfig, TimeRange};

const ALL_TIME: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };

fn folded(t: &Tree) -> BTreeMap<String, i64> {
    t.folded_map()
}

/// Ingests `n` profiles per service, one every 10 s from `start`, with a
/// known tree: `main;work` grows with i, `main;idle` constant.
async fn ingest_steady(store: &Store, services: &[&str], start: i64, n: i64) -> Tree {
    let mut expected = Tree::new();
    for i in 0..n {
        let batch: Vec<_> = services
            .iter()
            .enumerate()
            .map(|(s, svc)| {
                let stacks = [("main;work", 10 + i), ("main;idle", 5)];
                expected.merge(&tree(&stacks));
                ingest_one((i * 100 + s as i64) as u128, start + i * 10 * SEC, labels(svc, &[]), profile(&stacks))
            })
            .collect();
        store.ingest("t1", batch).await.unwrap();
    }
    expected
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_local_disk { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::local()).await } )* }
        mod in_memory { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::memory()).await } )* }
        mod on_garage { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::garage()).await } )* }
    };
}

suite!(
    acknowledged_profiles_are_queryable,
    data_survives_a_restart,
    compaction_keeps_every_stack_and_writes_rollups,
    rollup_and_raw_reads_agree_on_any_range,
    tenants_do_not_see_each_other,
    series_labels_and_totals_per_step,
    profile_by_id_round_trips_with_span_labels,
    span_merge_keeps_exactly_the_samples_of_the_asked_spans,
    retention_by_age_drops_old_blocks,
    retention_by_size_drops_the_oldest_first,
    deleting_a_service_removes_it_from_compacted_blocks,
    consolidated_days_answer_like_raw_rows_and_survive_deletion,
    a_damaged_section_is_skipped_and_reported,
    a_damaged_footer_is_skipped_at_open_and_the_rest_stays,
    a_full_head_is_written_before_the_segment_interval_ends,
    segments_of_a_growing_service_each_read_back_whole,
    segments_piling_up_wake_compaction_and_hold_ingestion_back,
    a_store_closed_right_after_opening_shuts_down_and_refuses_writes,
);

async fn acknowledged_profiles_are_queryable(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let expected = ingest_steady(&store, &["api", "db"], T0, 5).await;
    assert_eq!(folded(&store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&expected));
    let api =
        store.merge_tree("t1", &LabelsEqual(vec![("service_name".into(), "api".into())]), ALL_TIME).await.unwrap();
    assert_eq!(api.total(), expected.total() / 2);
    store.close().await;
}

async fn data_survives_a_restart(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let expected = ingest_steady(&store, &["api"], T0, 3).await;
    store.close().await;
    let reopened = open(&b, &clock).await;
    assert_eq!(folded(&reopened.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&expected));
}

async fn compaction_keeps_every_stack_and_writes_rollups(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    // Two windows: 400 profiles every 10 s span 4000 s.
    let expected = ingest_steady(&store, &["api"], T0, 400).await;
    let before = store.stats("t1").objects;
    clock.set(T0 + 3 * HOUR);
    store.maintain_now().await.unwrap();
    let after = store.stats("t1");
    assert!(after.objects < before && after.objects == 2, "{before} -> {}", after.objects);
    assert_eq!(after.profiles, 400);
    assert_eq!(folded(&store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&expected));
    // Compacting again changes nothing.
    store.maintain_now().await.unwrap();
    assert_eq!(store.stats("t1").objects, 2);
}

async fn rollup_and_raw_reads_agree_on_any_range(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    ingest_steady(&store, &["api", "db"], T0, 800).await;
    clock.set(T0 + 5 * HOUR);
    store.maintain_now().await.unwrap();
    let ranges = [
        ALL_TIME,
        TimeRange { start: T0, end: T0 + HOUR - 1 },
        TimeRange { start: T0 + 123 * SEC, end: T0 + 2 * HOUR - 1 },
        TimeRange { start: T0 + 10 * SEC, end: T0 + 30 * SEC },
    ];
    for r in ranges {
        let by = ["service_name".to_string()];
        let fast = store.merge_trees("t1", &AllSeries, r, &by).await.unwrap();
        let raw = store.merge_trees_raw("t1", &AllSeries, r, &by).await.unwrap();
        let f: Vec<_> = fast.iter().map(|(k, t)| (k.clone(), folded(t))).collect();
        let w: Vec<_> = raw.iter().map(|(k, t)| (k.clone(), folded(t))).collect();
        assert_eq!(f, w, "{r:?}");
    }
}

async fn tenants_do_not_see_each_other(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    store.ingest("../t2", vec![ingest_one(1, T0, labels("x", &[]), profile(&[("a", 1)]))]).await.unwrap();
    ingest_steady(&store, &["api"], T0, 2).await;
    assert_eq!(store.merge_tree("../t2", &AllSeries, ALL_TIME).await.unwrap().total(), 1);
    assert!(store.series("t1", &AllSeries, ALL_TIME).iter().all(|l| l.iter().any(|(_, v)| v == "api")));
    assert_eq!(store.tenants().len(), 2);
}

async fn series_labels_and_totals_per_step(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    for (i, pod) in ["a", "b"].iter().enumerate() {
        for k in 0..6 {
            let p = ingest_one(
                (i * 10 + k) as u128,
                T0 + k as i64 * 10 * SEC,
                labels("api", &[("pod", pod)]),
                profile(&[("main", 100)]),
            );
            store.ingest("t1", vec![p]).await.unwrap();
        }
    }
    assert_eq!(store.series("t1", &AllSeries, ALL_TIME).len(), 2);
    assert_eq!(store.label_values("t1", "pod", &AllSeries, ALL_TIME), ["a", "b"]);
    assert!(store.label_names("t1", &AllSeries, ALL_TIME).contains(&"pod".to_string()));
    let range = TimeRange { start: T0, end: T0 + 60 * SEC };
    let totals = store.series_totals("t1", &AllSeries, range, 30 * SEC, &["pod".to_string()]).await.unwrap();
    let a = &totals[&vec![("pod".to_string(), "a".to_string())]];
    // t=0 -> point T0; t=10,20,30 -> T0+30; t=40,50 -> T0+60
    assert_eq!(a[&T0], (100, 1));
    assert_eq!(a[&(T0 + 30 * SEC)], (300, 3));
    assert_eq!(a[&(T0 + 60 * SEC)], (200, 2));
    // A range starting at the dawn of time does not overflow.
    let from_min = TimeRange { start: i64::MIN, end: T0 + 60 * SEC };
    let totals = store.series_totals("t1", &AllSeries, from_min, 3600 * SEC, &[]).await.unwrap();
    assert_eq!(totals.values().flat_map(|p| p.values()).map(|(v, _)| v).sum::<i64>(), 1200);
}

async fn profile_by_id_round_trips_with_span_labels(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let p = profile_with_span("main;handler;query", 42, "00f067aa0ba902b7");
    store.ingest("t1", vec![ingest_one(7, T0, labels("api", &[]), p.clone())]).await.unwrap();
    clock.set(T0 + 3 * HOUR);
    store.maintain_now().await.unwrap();
    let found = store.profile_by_id("t1", 7).await.unwrap();
    assert_eq!(found.len(), 1);
    let (l, back) = &found[0];
    assert!(l.iter().any(|(n, v)| n == "service_name" && v == "api"));
    assert_eq!(Tree::from_profile(back, 0).folded_map(), Tree::from_profile(&p, 0).folded_map());
    assert_eq!(back.label_str(&back.samples[0], "span_id"), Some("00f067aa0ba902b7"));
    assert!(store.profile_by_id("t1", 8).await.unwrap().is_empty());
}

/// A profile of `(stack, value, span)` samples; an empty span leaves the
/// sample unlabelled.
fn spanned_profile(samples: &[(&str, i64, &str)]) -> kiln_model::Profile {
    let mut p = profile(&samples.iter().map(|&(s, v, _)| (s, v)).collect::<Vec<_>>());
    let key = p.strings.len() as u32;
    p.strings.push("span_id".into());
    for (i, &(_, _, span)) in samples.iter().enumerate().filter(|(_, s)| !s.2.is_empty()) {
        p.strings.push(span.into());
        let value = p.strings.len() as u32 - 1;
        p.samples[i].labels.push(kiln_model::Label { key, str: value, num: 0, num_unit: 0 });
    }
    p
}

async fn span_merge_keeps_exactly_the_samples_of_the_asked_spans(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let (a, b2, c) = ("00000000000000aa", "00000000000000bb", "00000000000000cc");
    let mut expected = Tree::new();
    for i in 0..6i64 {
        let samples = [("main;a", 10 + i, a), ("main;b", 20, b2), ("main;c", 30, c), ("main;none", 40, "")];
        expected.merge(&tree(&[("main;a", 10 + i), ("main;b", 20)]));
        let t = T0 + i * 1000 * SEC;
        let svc = if i % 2 == 0 { "api" } else { "db" };
        store.ingest("t1", vec![ingest_one(i as u128, t, labels(svc, &[]), spanned_profile(&samples))]).await.unwrap();
    }
    let spans = [a.to_string(), b2.to_string()];
    let got = store.merge_tree_spans("t1", &AllSeries, ALL_TIME, &spans).await.unwrap();
    assert_eq!(folded(&got), folded(&expected));
    clock.set(T0 + 5 * HOUR);
    store.maintain_now().await.unwrap();
    let got = store.merge_tree_spans("t1", &AllSeries, ALL_TIME, &spans).await.unwrap();
    assert_eq!(folded(&got), folded(&expected), "after compaction");
    clock.set(T0 + 3 * 24 * HOUR);
    store.maintain_now().await.unwrap();
    assert_eq!(store.stats("t1").objects, 1, "the day's two hour blocks are consolidated");
    let got = store.merge_tree_spans("t1", &AllSeries, ALL_TIME, &spans).await.unwrap();
    assert_eq!(folded(&got), folded(&expected), "after consolidation");
    let first_hour = TimeRange { start: T0, end: T0 + HOUR - 1 };
    let api = LabelsEqual(vec![("service_name".into(), "api".into())]);
    let got = store.merge_tree_spans("t1", &api, first_hour, &[c.to_string()]).await.unwrap();
    assert_eq!(folded(&got), folded(&tree(&[("main;c", 60)])), "api's first hour: profiles 0 and 2");
    assert_eq!(store.merge_tree_spans("t1", &AllSeries, ALL_TIME, &[]).await.unwrap().total(), 0);
    let unknown = ["00000000000000dd".to_string()];
    assert_eq!(store.merge_tree_spans("t1", &AllSeries, ALL_TIME, &unknown).await.unwrap().total(), 0);
}

async fn retention_by_age_drops_old_blocks(b: Backend) {
    let clock = TestClock::new(T0);
    let mut cfg = config(&clock);
    cfg.retention_max_age = Some(std::time::Duration::from_secs(24 * 3600));
    let store = Store::open(b.store.clone(), cfg).await.unwrap();
    ingest_steady(&store, &["api"], T0, 3).await;
    ingest_steady(&store, &["api"], T0 + 30 * HOUR, 3).await;
    clock.set(T0 + 31 * HOUR);
    store.maintain_now().await.unwrap();
    let s = store.stats("t1");
    assert_eq!(s.profiles, 3);
    assert!(s.oldest_nanos.unwrap() >= T0 + 30 * HOUR);
}

async fn retention_by_size_drops_the_oldest_first(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    for h in 0..4 {
        ingest_steady(&store, &["api"], T0 + h * HOUR, 20).await;
    }
    clock.set(T0 + 10 * HOUR);
    store.maintain_now().await.unwrap();
    let bytes = store.stats("t1").bytes;
    let mut cfg = config(&clock);
    cfg.retention_max_bytes = Some(bytes * 3 / 4);
    store.close().await;
    let store = Store::open(b.store.clone(), cfg).await.unwrap();
    store.maintain_now().await.unwrap();
    let s = store.stats("t1");
    assert!(s.bytes <= bytes * 3 / 4, "{} > {}", s.bytes, bytes * 3 / 4);
    assert_eq!(s.newest_nanos, Some(T0 + 3 * HOUR + 190 * SEC));
    assert!(s.oldest_nanos.unwrap() >= T0 + HOUR);
}

async fn deleting_a_service_removes_it_from_compacted_blocks(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    ingest_steady(&store, &["api", "db"], T0, 50).await;
    clock.set(T0 + 3 * HOUR);
    store.maintain_now().await.unwrap();
    ingest_steady(&store, &["api", "db"], T0 + 3 * HOUR, 5).await;
    store.delete_service("t1", "db").await.unwrap();
    store.maintain_now().await.unwrap();
    let services = store.label_values("t1", "service_name", &AllSeries, ALL_TIME);
    assert_eq!(services, ["api"]);
    store.close().await;
    let reopened = open(&b, &clock).await;
    assert_eq!(reopened.label_values("t1", "service_name", &AllSeries, ALL_TIME), ["api"]);
    assert_eq!(reopened.stats("t1").profiles, 55);
}

/// Two services, a profile every 10 minutes for 50 hours: hour blocks,
/// then one consolidated block per day.
async fn consolidated_days_answer_like_raw_rows_and_survive_deletion(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let (mut all, mut api) = (Tree::new(), Tree::new());
    for i in 0..300i64 {
        let t = T0 + i * 600 * SEC;
        for (s, svc) in ["api", "db"].iter().enumerate() {
            let stacks = [("main;work", 10 + i), (if s == 0 { "main;api" } else { "main;db" }, 5)];
            all.merge(&tree(&stacks));
            if s == 0 {
                api.merge(&tree(&stacks));
            }
            store
                .ingest("t1", vec![ingest_one((i * 2 + s as i64) as u128, t, labels(svc, &[]), profile(&stacks))])
                .await
                .unwrap();
        }
        if i % 60 == 59 {
            clock.set(t + 2 * HOUR);
            store.maintain_now().await.unwrap();
        }
    }
    clock.set(T0 + 4 * 24 * HOUR);
    store.maintain_now().await.unwrap();
    let days = (T0 / (24 * HOUR)..=(T0 + 300 * 600 * SEC) / (24 * HOUR)).count();
    assert_eq!(store.stats("t1").objects, days);
    assert_eq!(store.stats("t1").profiles, 600);
    assert_eq!(folded(&store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&all));
    let ranges = [
        ALL_TIME,
        TimeRange { start: T0 + 5 * HOUR, end: T0 + 29 * HOUR - 1 },
        TimeRange { start: T0 + 123 * SEC, end: T0 + 40 * HOUR },
    ];
    for r in ranges {
        let by = ["service_name".to_string()];
        let fast = store.merge_trees("t1", &AllSeries, r, &by).await.unwrap();
        let raw = store.merge_trees_raw("t1", &AllSeries, r, &by).await.unwrap();
        let f: Vec<_> = fast.iter().map(|(k, t)| (k.clone(), folded(t))).collect();
        let w: Vec<_> = raw.iter().map(|(k, t)| (k.clone(), folded(t))).collect();
        assert_eq!(f, w, "{r:?}");
    }
    assert_eq!(store.profile_by_id("t1", 2 * 150).await.unwrap().len(), 1);
    store.delete_service("t1", "db").await.unwrap();
    store.maintain_now().await.unwrap();
    store.close().await;
    let reopened = open(&b, &clock).await;
    assert_eq!(reopened.label_values("t1", "service_name", &AllSeries, ALL_TIME), ["api"]);
    assert_eq!(reopened.stats("t1").profiles, 300);
    assert_eq!(folded(&reopened.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&api));
}

async fn corrupt_one_object(b: &Backend, damage: impl Fn(&mut Vec<u8>)) -> object_store::path::Path {
    use futures::TryStreamExt;
    use object_store::{ObjectStoreExt, PutPayload};
    let list: Vec<_> = b.store.list(None).try_collect().await.unwrap();
    let path = list.iter().map(|m| m.location.clone()).max().unwrap();
    let mut bytes = b.store.get(&path).await.unwrap().bytes().await.unwrap().to_vec();
    damage(&mut bytes);
    b.store.put(&path, PutPayload::from(bytes)).await.unwrap();
    path
}

async fn a_damaged_section_is_skipped_and_reported(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    ingest_steady(&store, &["api"], T0, 2).await;
    store.close().await;
    // Flip a byte just after the opening magic: inside the first section.
    corrupt_one_object(&b, |bytes| bytes[9] ^= 0xff).await;
    let reopened = open(&b, &clock).await;
    let t = reopened.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap();
    assert_eq!(t.total(), 10 + 5, "only the undamaged profile remains");
    assert_eq!(reopened.corrupt_objects().len(), 1);
    assert!(reopened.corrupt_objects()[0].contains("checksum"), "{:?}", reopened.corrupt_objects());
}

async fn a_damaged_footer_is_skipped_at_open_and_the_rest_stays(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    ingest_steady(&store, &["api"], T0, 2).await;
    store.close().await;
    corrupt_one_object(&b, |bytes| {
        let n = bytes.len();
        bytes[n - 20] ^= 0xff;
    })
    .await;
    let reopened = open(&b, &clock).await;
    assert_eq!(reopened.corrupt_objects().len(), 1);
    assert_eq!(reopened.stats("t1").profiles, 1);
}

async fn a_full_head_is_written_before_the_segment_interval_ends(b: Backend) {
    let clock = TestClock::new(T0);
    let config = StoreConfig { segment_interval: Duration::from_secs(60), head_max_bytes: 1, ..config(&clock) };
    let store = Store::open(b.store.clone(), config).await.unwrap();
    let stacks = [("main;work", 10)];
    // The first write after a quiet spell goes out at once; the second
    // would wait out the 60 s interval unless the full head cuts it short.
    for id in 1..=2 {
        let batch = vec![ingest_one(id, T0 + id as i64 * SEC, labels("api", &[]), profile(&stacks))];
        tokio::time::timeout(Duration::from_secs(10), store.ingest("t1", batch))
            .await
            .expect("a head over its bound flushes at once, not after the 60 s interval")
            .unwrap();
    }
    let got = store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap();
    assert_eq!(got.total(), 20);
    store.close().await;
}

/// The head keeps one symbol dictionary per service across segments: each
/// segment must still read back alone, whatever the dictionary held before
/// it and gained after it.
async fn segments_of_a_growing_service_each_read_back_whole(b: Backend) {
    let clock = TestClock::new(T0);
    let store = open(&b, &clock).await;
    let mut expected = Tree::new();
    for i in 0..6i64 {
        let leaf = format!("main;work;step{i}");
        let stacks = [("main;work", 10 + i), (leaf.as_str(), 3), ("main;idle", 5)];
        expected.merge(&tree(&stacks));
        let p = ingest_one(i as u128, T0 + i * 10 * SEC, labels("api", &[]), profile(&stacks));
        store.ingest("t1", vec![p]).await.unwrap();
    }
    store.close().await;
    let reopened = open(&b, &clock).await;
    assert!(reopened.stats("t1").objects >= 6, "one segment per acknowledged write");
    for i in 0..6i64 {
        let one = TimeRange { start: T0 + i * 10 * SEC, end: T0 + i * 10 * SEC + SEC };
        let leaf = format!("main;work;step{i}");
        let got = folded(&reopened.merge_tree("t1", &AllSeries, one).await.unwrap());
        assert_eq!(got.get(&leaf), Some(&3), "segment {i}: {got:?}");
        assert_eq!(got.len(), 3, "segment {i} holds only its own stacks: {got:?}");
    }
    assert_eq!(folded(&reopened.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap()), folded(&expected));
}

async fn segments_piling_up_wake_compaction_and_hold_ingestion_back(b: Backend) {
    let clock = TestClock::new(T0);
    let config = StoreConfig {
        maintenance_interval: Some(Duration::from_secs(3600)),
        max_pending_segments: 3,
        ..config(&clock)
    };
    let store = Store::open(b.store.clone(), config).await.unwrap();
    let stacks = [("main;work", 10)];
    for id in 0..30u128 {
        let batch = vec![ingest_one(id, T0 + id as i64 * SEC, labels("api", &[]), profile(&stacks))];
        tokio::time::timeout(Duration::from_secs(20), store.ingest("t1", batch))
            .await
            .expect("maintenance woken early, not after its hour")
            .unwrap();
        let objects = store.stats("t1").objects;
        assert!(objects <= 8, "after write {id}: {objects} objects; segments must not pile up past twice the bound");
    }
    assert_eq!(store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap().total(), 300);
    store.close().await;
}

async fn a_store_closed_right_after_opening_shuts_down_and_refuses_writes(b: Backend) {
    // close() used to hang when it ran before the background tasks had
    // first been polled: they never saw the shutdown.
    let clock = TestClock::new(T0);
    for round in 0..20 {
        let store = open(&b, &clock).await;
        let closed = tokio::time::timeout(Duration::from_secs(10), store.close()).await;
        assert!(closed.is_ok(), "round {round}: close() did not return");
        let refused = store.ingest("t1", vec![]).await;
        assert!(refused.is_err(), "round {round}: a closed store accepted a write");
    }
}
