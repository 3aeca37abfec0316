//! SIGKILL inside compaction and inside retention, at every change they
//! make. A data set is written once; then, for k = 1, 2, ..., a child
//! process (this test binary in child mode) opens a copy of it through a
//! [`tripwire::Tripwire`] and runs maintenance, and is killed just before
//! its k-th change to the object store (a block written, a multipart
//! upload started or completed, an object deleted), until maintenance
//! finishes with no change left to stop at. After every kill the parent
//! opens the store as a restart would: nothing is corrupt, every profile
//! is there exactly once (retention may have removed only profiles an
//! uninterrupted run removes), and finishing the maintenance ends where
//! an uninterrupted run does.

mod common;
mod tripwire;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use kiln_store::{AllSeries, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;
use tripwire::{Tripwire, TRIP};

/// Set only in the child: the data directory, the mode, the change to
/// stop before, and the retention size limit.
const DIR_ENV: &str = "KILN_MAINTENANCE_CHILD_DIR";
const MODE_ENV: &str = "KILN_MAINTENANCE_CHILD_MODE";
const TRIP_ENV: &str = "KILN_MAINTENANCE_CHILD_TRIP";
const BYTES_ENV: &str = "KILN_MAINTENANCE_CHILD_MAX_BYTES";
const DONE: &str = "MAINTENANCE DONE";

const TENANTS: [&str; 2] = ["acme", "globex"];
/// Profiles per tenant, one every 15 minutes from `T0`: three hours.
const PROFILES: i64 = 12;
const STEP: i64 = 15 * 60 * SEC;
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Three hour windows close, merge with rollups, and consolidate into
    /// one day block per tenant; the segments are deleted.
    Compaction,
    /// Nothing compacts (every profile is its own open window); retention
    /// by age and by size deletes the oldest objects.
    Retention,
}

/// A profile: tenant index and number within the tenant.
type Id = (usize, i64);

fn time_of((t, i): Id) -> i64 {
    T0 + i * STEP + t as i64 * SEC
}

/// `main;work` carries a value no other profile has; `main;idle` 1.
fn total_of((t, i): Id) -> i64 {
    100 * t as i64 + i + 1 + 1
}

fn all_ids() -> BTreeSet<Id> {
    (0..TENANTS.len()).flat_map(|t| (0..PROFILES).map(move |i| (t, i))).collect()
}

fn mode_config(mode: Mode, max_bytes: u64) -> StoreConfig {
    let now = match mode {
        Mode::Compaction => T0 + 72 * HOUR,
        Mode::Retention => T0 + 4 * HOUR,
    };
    let base = StoreConfig { clock: Arc::new(move || now), ..config(&TestClock::new(now)) };
    match mode {
        Mode::Compaction => StoreConfig { window: 60 * MINUTE, window_grace: 2 * MINUTE, ..base },
        Mode::Retention => StoreConfig {
            window: 15 * MINUTE,
            window_grace: 3650 * 24 * 60 * MINUTE,
            consolidation_period: None,
            // Everything older than T0 + 1 h, then the oldest while over.
            retention_max_age: Some(3 * 60 * MINUTE),
            retention_max_bytes: Some(max_bytes),
            ..base
        },
    }
}

fn local_fs(dir: &Path) -> LocalFileSystem {
    LocalFileSystem::new_with_prefix(dir).unwrap().with_fsync(true)
}

/// Child mode: maintenance once, through the tripwire. A no-op unless
/// the parent set [`DIR_ENV`].
#[test]
fn child_maintenance() {
    let Ok(dir) = std::env::var(DIR_ENV) else { return };
    let mode = if std::env::var(MODE_ENV).unwrap() == "compaction" { Mode::Compaction } else { Mode::Retention };
    let trip_at: u64 = std::env::var(TRIP_ENV).unwrap().parse().unwrap();
    let max_bytes: u64 = std::env::var(BYTES_ENV).unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let wire = Tripwire::new(local_fs(Path::new(&dir)), trip_at);
        let store = Store::open(Arc::new(wire), mode_config(mode, max_bytes)).await.unwrap();
        store.maintain_now().await.unwrap();
        store.close().await;
    });
    println!("{DONE}");
}

/// Runs a child on `dir` stopping before change `trip_at` (0: never);
/// returns the change it was killed before, `None` when it finished.
fn run_child(dir: &Path, mode: Mode, trip_at: u64, max_bytes: u64) -> Option<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child_maintenance", "--exact", "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir)
        .env(MODE_ENV, if mode == Mode::Compaction { "compaction" } else { "retention" })
        .env(TRIP_ENV, trip_at.to_string())
        .env(BYTES_ENV, max_bytes.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(change) = line.split_once(TRIP).map(|(_, c)| c.to_owned()) {
                let _ = tx.send(Some(change));
            } else if line.contains(DONE) {
                let _ = tx.send(None);
            }
        }
    });
    let seen = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill(); // SIGKILL on Unix; a finished child is already gone
    let out = child.wait_with_output().unwrap();
    match seen {
        Ok(seen) => seen,
        Err(e) => panic!("child stopped neither at a change nor done ({e}): {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// Every profile, each its own segment.
async fn write_data_set(dir: &Path) {
    let store = Store::open(Arc::new(local_fs(dir)), config(&TestClock::new(T0))).await.unwrap();
    for id in all_ids() {
        let p = profile(&[("main;work", total_of(id) - 1), ("main;idle", 1)]);
        let labels = labels("api", &[("pod", "a")]);
        store.ingest(TENANTS[id.0], vec![ingest_one(id.1 as u128, time_of(id), labels, p)]).await.unwrap();
    }
    store.close().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let entries = std::fs::read_dir(dir).unwrap().flatten();
    entries.map(|e| if e.path().is_dir() { dir_bytes(&e.path()) } else { e.metadata().unwrap().len() }).sum()
}

/// The profiles the store holds, each checked to be there exactly once
/// with its own total, and the merged trees checked to sum them.
async fn present(store: &Store) -> BTreeSet<Id> {
    let range = TimeRange { start: T0, end: T0 + 24 * HOUR };
    let mut found = BTreeSet::new();
    for (t, tenant) in TENANTS.iter().enumerate() {
        let totals = store.series_totals(tenant, &AllSeries, range, SEC, &[]).await.unwrap();
        for (&time, &(sum, count)) in totals.values().flatten() {
            let id = (t, (time - T0 - t as i64 * SEC) / STEP);
            assert_eq!(time, time_of(id), "{tenant}: a profile at a time no profile has");
            assert_eq!((sum, count), (total_of(id), 1), "{tenant}: profile {id:?} counted wrong");
            found.insert(id);
        }
        let merged = store.merge_tree(tenant, &AllSeries, range).await.unwrap().total();
        let want: i64 = found.iter().filter(|id| id.0 == t).map(|&id| total_of(id)).sum();
        assert_eq!(merged, want, "{tenant}: merged trees count a profile twice or miss one");
    }
    found
}

/// What an uninterrupted run leaves: the profiles and objects per tenant.
type Outcome = (BTreeSet<Id>, Vec<usize>);

/// Opens the store as a restart does, checks what the killed child left,
/// then finishes the maintenance and returns where it ended.
async fn restart_and_finish(dir: &Path, mode: Mode, max_bytes: u64, want: Option<&Outcome>) -> Outcome {
    let store = Store::open(Arc::new(local_fs(dir)), mode_config(mode, max_bytes)).await.unwrap();
    assert!(store.corrupt_objects().is_empty(), "corrupt after restart: {:?}", store.corrupt_objects());
    let before = present(&store).await;
    if let Some((survivors, _)) = want {
        let lost: Vec<_> = survivors.difference(&before).collect();
        assert!(lost.is_empty(), "profiles lost: {lost:?}");
    }
    store.maintain_now().await.unwrap();
    let after = present(&store).await;
    let objects = TENANTS.iter().map(|t| store.stats(t).objects).collect();
    assert!(store.corrupt_objects().is_empty(), "corrupt while reading: {:?}", store.corrupt_objects());
    store.close().await;
    (after, objects)
}

/// The whole test for one mode; returns how many kills it made.
fn kill_before_every_change(mode: Mode) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let (pristine, work) = (tmp.path().join("pristine"), tmp.path().join("work"));
    std::fs::create_dir_all(&pristine).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(write_data_set(&pristine));
    let max_bytes = dir_bytes(&pristine) * 6 / 10;
    copy_dir(&pristine, &work);
    assert_eq!(run_child(&work, mode, 0, max_bytes), None, "an uninterrupted run finishes");
    let want = rt.block_on(restart_and_finish(&work, mode, max_bytes, None));
    match mode {
        Mode::Compaction => assert_eq!(want, (all_ids(), vec![1, 1]), "one day block per tenant"),
        Mode::Retention => assert!(!want.0.is_empty() && want.0.len() < 2 * 8, "retention removed some: {want:?}"),
    }
    let mut kills = 0;
    for trip_at in 1.. {
        std::fs::remove_dir_all(&work).unwrap();
        copy_dir(&pristine, &work);
        let Some(change) = run_child(&work, mode, trip_at, max_bytes) else { break };
        let ended = rt.block_on(restart_and_finish(&work, mode, max_bytes, Some(&want)));
        assert_eq!(ended, want, "killed before change {trip_at} ({change}): finishing ends elsewhere");
        eprintln!("{mode:?}: killed before change {trip_at}: {change}");
        kills += 1;
    }
    kills
}

#[test]
fn sigkill_at_every_change_of_compaction_loses_and_doubles_nothing() {
    let kills = kill_before_every_change(Mode::Compaction);
    // Per tenant: three window blocks, the day block's upload start and
    // completion, and deleting the 12 segments and 3 window blocks.
    assert!(kills >= 2 * 20, "{kills} kills: maintenance made fewer changes than it should");
}

#[test]
fn sigkill_at_every_change_of_retention_loses_and_doubles_nothing() {
    let kills = kill_before_every_change(Mode::Retention);
    assert!(kills >= 2 * 4, "{kills} kills: retention deleted fewer objects than it should");
}
