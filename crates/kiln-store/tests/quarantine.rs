//! Damaged block files, on local disk and in memory: bytes flipped inside a
//! section, a truncated file, a damaged footer. Each is detected, reported
//! once, moved to `quarantine/` under its own name, and stays there across
//! restarts, while every other profile stays readable; compaction never
//! merges it.

mod common;

use common::*;
use futures::TryStreamExt;
use kiln_model::Tree;
use kiln_store::{AllSeries, TimeRange};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

const ALL_TIME: TimeRange = TimeRange { start: i64::MIN, end: i64::MAX };

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod on_local_disk { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::local()).await } )* }
        mod in_memory { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::memory()).await } )* }
    };
}

suite!(
    a_block_with_a_flipped_section_byte_is_quarantined_on_first_read,
    a_truncated_block_is_quarantined_at_open,
    a_block_with_a_damaged_footer_is_quarantined_at_open,
    compaction_quarantines_a_damaged_block_instead_of_merging_it,
);

/// Names of the objects under `prefix`, sorted.
async fn names(b: &Backend, prefix: &str) -> Vec<String> {
    let list: Vec<_> = b.store.list(Some(&Path::from(prefix))).try_collect().await.unwrap();
    let mut out: Vec<String> = list.iter().map(|m| m.location.filename().unwrap().to_owned()).collect();
    out.sort();
    out
}

/// Two profiles in two segments of tenant `t1`, `main;work` 10 and 11,
/// `main;idle` 5 each; the store is closed.
async fn two_segments(b: &Backend, clock: &TestClock) {
    let store = open(b, clock).await;
    for i in 0..2 {
        let p = ingest_one(
            i as u128,
            T0 + i * 10 * SEC,
            labels("api", &[]),
            profile(&[("main;work", 10 + i), ("main;idle", 5)]),
        );
        store.ingest("t1", vec![p]).await.unwrap();
    }
    store.close().await;
}

/// Damages the newest block (the second profile's segment); returns its name.
async fn damage_newest(b: &Backend, damage: impl Fn(&mut Vec<u8>)) -> String {
    let list: Vec<_> = b.store.list(Some(&Path::from("blocks"))).try_collect().await.unwrap();
    let path = list.iter().map(|m| m.location.clone()).max().unwrap();
    let mut bytes = b.store.get(&path).await.unwrap().bytes().await.unwrap().to_vec();
    damage(&mut bytes);
    b.store.put(&path, PutPayload::from(bytes)).await.unwrap();
    path.filename().unwrap().to_owned()
}

/// What the first profile alone merges to.
fn first_profile() -> Tree {
    tree(&[("main;work", 10), ("main;idle", 5)])
}

/// The damaged block is in quarantine under its name, gone from `blocks/`,
/// and a restart neither reports it again nor brings it back.
async fn assert_quarantined_for_good(b: &Backend, clock: &TestClock, name: &str) {
    assert_eq!(names(b, "quarantine").await, [name]);
    assert!(!names(b, "blocks").await.contains(&name.to_owned()), "{name} still among the blocks");
    let reopened = open(b, clock).await;
    assert!(reopened.corrupt_objects().is_empty(), "reported again: {:?}", reopened.corrupt_objects());
    assert_eq!(reopened.stats("t1").profiles, 1);
    assert_eq!(
        reopened.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap().folded_map(),
        first_profile().folded_map()
    );
    assert_eq!(names(b, "quarantine").await, [name]);
}

async fn a_block_with_a_flipped_section_byte_is_quarantined_on_first_read(b: Backend) {
    let clock = TestClock::new(T0);
    two_segments(&b, &clock).await;
    // Just after the opening magic: inside the first section; the footer
    // is intact, so the block opens and the damage shows on reading.
    let name = damage_newest(&b, |bytes| bytes[9..13].iter_mut().for_each(|x| *x ^= 0xa5)).await;
    let store = open(&b, &clock).await;
    assert_eq!(store.stats("t1").profiles, 2, "a damaged section is found on reading, not at open");
    let t = store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap();
    assert_eq!(t.folded_map(), first_profile().folded_map());
    let corrupt = store.corrupt_objects();
    assert_eq!(corrupt.len(), 1, "{corrupt:?}");
    assert!(corrupt[0].contains(&name) && corrupt[0].contains("checksum"), "{corrupt:?}");
    assert_eq!(store.stats("t1").profiles, 1, "the quarantined block left the catalog");
    store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap();
    assert_eq!(store.corrupt_objects().len(), 1, "reported once");
    store.close().await;
    assert_quarantined_for_good(&b, &clock, &name).await;
}

async fn a_truncated_block_is_quarantined_at_open(b: Backend) {
    let clock = TestClock::new(T0);
    two_segments(&b, &clock).await;
    let name = damage_newest(&b, |bytes| bytes.truncate(bytes.len() / 2)).await;
    let store = open(&b, &clock).await;
    let corrupt = store.corrupt_objects();
    assert_eq!(corrupt.len(), 1, "{corrupt:?}");
    assert!(corrupt[0].contains(&name), "{corrupt:?}");
    assert_eq!(store.stats("t1").profiles, 1);
    store.close().await;
    assert_quarantined_for_good(&b, &clock, &name).await;
}

async fn a_block_with_a_damaged_footer_is_quarantined_at_open(b: Backend) {
    let clock = TestClock::new(T0);
    two_segments(&b, &clock).await;
    let name = damage_newest(&b, |bytes| {
        let n = bytes.len();
        bytes[n - 20] ^= 0xff;
    })
    .await;
    let store = open(&b, &clock).await;
    assert!(store.corrupt_objects()[0].contains("footer checksum"), "{:?}", store.corrupt_objects());
    store.close().await;
    assert_quarantined_for_good(&b, &clock, &name).await;
}

async fn compaction_quarantines_a_damaged_block_instead_of_merging_it(b: Backend) {
    let clock = TestClock::new(T0);
    two_segments(&b, &clock).await;
    let name = damage_newest(&b, |bytes| bytes[9] ^= 0xff).await;
    let store = open(&b, &clock).await;
    // Both segments' window is closed: compaction reads them whole.
    clock.set(T0 + 2 * HOUR);
    store.maintain_now().await.unwrap();
    assert_eq!(store.corrupt_objects().len(), 1, "{:?}", store.corrupt_objects());
    // The next round compacts what is left, alone.
    store.maintain_now().await.unwrap();
    let stats = store.stats("t1");
    assert_eq!((stats.objects, stats.profiles), (1, 1));
    assert_eq!(names(&b, "blocks").await.len(), 1);
    assert_eq!(store.merge_tree("t1", &AllSeries, ALL_TIME).await.unwrap().folded_map(), first_profile().folded_map());
    store.close().await;
    assert_quarantined_for_good(&b, &clock, &name).await;
}
