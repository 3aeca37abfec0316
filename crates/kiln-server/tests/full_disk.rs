//! The data directory on a small tmpfs that fills up: ingestion answers 503
//! with a reason that names no file system path, every profile
//! acknowledged before stays whole, and ingestion is accepted again once
//! space returns. The test mounts the tmpfs itself (we run as root in the
//! test command) and fails, saying why, where mounting is not allowed.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{http, start_on_loopback};
use kiln_store::{AllSeries, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;

const TENANT: &str = "shop";
/// Stacks per profile: each request's profile has the same stacks, so the
/// service's dictionary (and so each segment) keeps one size.
const STACKS: i64 = 200;
/// Space left free once the filler file takes the rest.
const LEFT_FREE: u64 = 192 << 10;

/// A size-limited tmpfs on a temporary directory, unmounted when dropped
/// (also when the test fails: lazily, should a file be open).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "kiln-full-disk-test"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Tmpfs { dir },
            Ok(o) => panic!(
                "this test mounts a {size} tmpfs and needs root or CAP_SYS_ADMIN; mount failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!("this test mounts a {size} tmpfs; `mount` could not run: {e}"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Takes all free space but `LEFT_FREE` bytes with one file.
fn fill(file: &Path) {
    let mut f = std::fs::File::create(file).unwrap();
    let chunk = vec![0x5au8; 64 << 10];
    let mut written = 0u64;
    while f.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    f.set_len(written.saturating_sub(LEFT_FREE)).unwrap();
    f.sync_all().unwrap();
}

/// Profile `i` in folded form: every stack has value `i + 1`.
fn folded(i: i64) -> Vec<u8> {
    (0..STACKS).map(|k| format!("main;serve;handler{k};leaf{} {}\n", k % 7, i + 1)).collect::<String>().into_bytes()
}

/// Ingests profile `i`; the status and body.
fn ingest(addr: std::net::SocketAddr, i: i64) -> (u16, String) {
    let from = 1_767_225_600 + i * 10;
    let path = format!("/ingest?name=checkout.cpu&from={from}&until={}", from + 10);
    let headers = [("Content-Type", "text/plain"), ("X-Scope-OrgID", TENANT)];
    let (status, body) = http(addr, &path, &headers, &folded(i));
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_data_directory_answers_503_keeps_earlier_data_and_recovers() {
    let disk = Tmpfs::mount("8m");
    let running = start_on_loopback(&disk.path().join("data")).await;
    let addr = running.addr;
    let filler = disk.path().join("filler");
    let (acked, refusal, recovered) = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        assert_eq!(ingest(addr, 0).0, 200, "ingest works before the disk fills");
        acked.push(0);
        fill(&filler);
        let refusal = (1..400).find_map(|i| match ingest(addr, i) {
            (200, _) => {
                acked.push(i);
                None
            }
            other => Some(other),
        });
        let refusal = refusal.expect("400 profiles fit in the space left: the disk never filled");
        std::fs::remove_file(&filler).unwrap();
        let next = acked.last().unwrap() + 1_000;
        let recovered = [ingest(addr, next), ingest(addr, next + 1)];
        acked.extend([next, next + 1]);
        (acked, refusal, recovered)
    })
    .await
    .unwrap();
    let (status, body) = refusal;
    eprintln!("{} profiles acknowledged; the full disk answered {status}: {body}", acked.len());
    assert_eq!(status, 503, "a full disk is worth retrying: {body}");
    assert!(body.contains("No space left on device"), "the reason is named: {body}");
    let mount = disk.path().to_str().unwrap();
    assert!(!body.contains(mount) && !body.contains("blocks/"), "no path is shown: {body}");
    for (status, body) in &recovered {
        assert_eq!(*status, 200, "accepted again once space returned: {body}");
    }
    assert!(acked.len() > 3, "some profiles were acknowledged while space ran out: {acked:?}");
    let data_dir = running.data_dir.clone();
    running.shutdown().await.unwrap();

    let fs = LocalFileSystem::new_with_prefix(data_dir.join("store")).unwrap();
    let store =
        Store::open(Arc::new(fs), StoreConfig { maintenance_interval: None, ..StoreConfig::default() }).await.unwrap();
    assert!(store.corrupt_objects().is_empty(), "{:?}", store.corrupt_objects());
    let stats = store.stats(TENANT);
    assert_eq!(stats.profiles, acked.len() as u64, "every acknowledged profile, once");
    let all = TimeRange { start: i64::MIN, end: i64::MAX };
    let tree = store.merge_tree(TENANT, &AllSeries, all).await.unwrap();
    // Folded counts are samples at the default 100 Hz: 10 ms of CPU each.
    let want: i64 = acked.iter().map(|i| (i + 1) * STACKS * 10_000_000).sum();
    assert_eq!(tree.total(), want, "the acknowledged profiles' samples, each counted once");
    store.close().await;
}
