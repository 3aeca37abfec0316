//! Crash test: a child process (this test binary, re-run in child mode)
//! ingests in a loop with fsync on, background compaction racing it, and is
//! killed with SIGKILL at random moments. After every kill the parent opens
//! the store and checks that every acknowledged profile is there, with the
//! exact totals and merged stacks a reference computed here says, and that
//! nothing is reported corrupt.
//!
//! `KILN_CRASH_ROUNDS` sets the number of rounds (default 30) and
//! `KILN_CRASH_SEED` replays a run (the seed is printed).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::{SEC, T0};
use kiln_model::{Profile, ProfileBuilder, Tree};
use kiln_store::{normalize_labels, AllSeries, IngestProfile, IngestSeries, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;

/// Set (to the data directory) only in the child process.
const DIR_ENV: &str = "KILN_CRASH_CHILD_DIR";
/// First profile id the child uses.
const BASE_ENV: &str = "KILN_CRASH_CHILD_BASE";
/// The child ingests one tenant per task; profile `id` belongs to tenant `id % 3`.
const TENANTS: [&str; 3] = ["acme", "globex", "initech"];
const N: u64 = TENANTS.len() as u64;
const ACK: &str = "ACK ";

/// The profile with this id: its content, time and labels follow from the id.
fn profile_of(id: u64) -> Profile {
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    let stacks: [(Vec<String>, i64); 3] = [
        (
            vec!["main".into(), "serve".into(), format!("handler{}", id % 5), format!("leaf{}", id % 7)],
            1 + id as i64 % 4,
        ),
        (vec!["main".into(), "runtime.gcBgMarkWorker".into()], 1),
        (vec!["main".into(), "serve".into(), "io".into(), format!("read{}", id % 3)], 2 + id as i64 % 2),
    ];
    for (stack, count) in &stacks {
        b.add_stack(stack, &[*count, count * 10_000_000]);
    }
    b.set_time(time_of(id), 10 * SEC);
    b.build()
}

fn time_of(id: u64) -> i64 {
    T0 + id as i64 * SEC
}

fn ingest_profile(id: u64) -> IngestProfile {
    let series = [("samples", "count"), ("cpu", "nanoseconds")].iter().enumerate().map(|(i, (ty, unit))| {
        let labels = normalize_labels(vec![
            ("service_name".into(), format!("svc-{}", (id / N) % 2)),
            ("pod".into(), format!("pod-{}", (id / (2 * N)) % 3)),
            ("__name__".into(), "process_cpu".into()),
            ("__type__".into(), ty.to_string()),
            ("__unit__".into(), unit.to_string()),
        ]);
        IngestSeries { labels, sample_type: i }
    });
    IngestProfile {
        id: u128::from(id),
        time_nanos: time_of(id),
        duration_nanos: 10 * SEC,
        profile: Arc::new(profile_of(id)),
        series: series.collect(),
    }
}

/// Sum of both sample types of the profile: what `series_totals` reports.
fn total_of(id: u64) -> i64 {
    let p = profile_of(id);
    p.samples.iter().flat_map(|s| s.values.iter()).sum()
}

fn add_reference(reference: &mut BTreeMap<String, i64>, id: u64) {
    let p = profile_of(id);
    for t in 0..2 {
        for (stack, v) in Tree::from_profile(&p, t).folded_map() {
            *reference.entry(stack).or_default() += v;
        }
    }
}

fn child_config(now: Arc<AtomicI64>) -> StoreConfig {
    StoreConfig {
        segment_interval: Duration::from_millis(2),
        maintenance_interval: Some(Duration::from_millis(20)),
        window: Duration::from_secs(60),
        window_grace: Duration::from_secs(5),
        delete_delay: Duration::from_millis(10),
        clock: Arc::new(move || now.load(Ordering::SeqCst)),
        ..StoreConfig::default()
    }
}

/// Child mode: ingests forever, printing each id once acknowledged. A no-op
/// unless the parent set [`DIR_ENV`].
#[test]
fn child_ingest_loop() {
    let Ok(dir) = std::env::var(DIR_ENV) else { return };
    let base: u64 = std::env::var(BASE_ENV).expect("base id").parse().expect("numeric base id");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let fs = LocalFileSystem::new_with_prefix(&dir).unwrap().with_fsync(true);
        // The store's clock follows the newest profile, so the current
        // window is merged while open and older ones close with rollups.
        let now = Arc::new(AtomicI64::new(time_of(base)));
        let store = Store::open(Arc::new(fs), child_config(now.clone())).await.unwrap();
        let tasks: Vec<_> = (0..N)
            .map(|task| {
                let (store, now) = (store.clone(), now.clone());
                tokio::spawn(async move {
                    for id in (base + task..).step_by(N as usize) {
                        now.fetch_max(time_of(id), Ordering::SeqCst);
                        store.ingest(TENANTS[(id % N) as usize], vec![ingest_profile(id)]).await.unwrap();
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{ACK}{id}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// splitmix64: deterministic kill times from a printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// When a round's child is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This long after spawning: during startup (open, first segments).
    AfterStart(Duration),
    /// Once this many profiles were acknowledged.
    AfterAcks(usize),
    /// This long after the first acknowledgement: compaction runs every
    /// 20 ms, so most of these land while it rewrites blocks.
    MidCompaction(Duration),
}

fn pick_kill(rng: &mut Rng, round: usize) -> Kill {
    match round % 3 {
        0 => Kill::AfterStart(Duration::from_millis(rng.below(40))),
        1 => Kill::AfterAcks(1 + rng.below(400) as usize),
        _ => Kill::MidCompaction(Duration::from_millis(100 + rng.below(1200))),
    }
}

fn spawn_child(dir: &std::path::Path, base: u64, stderr: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["child_ingest_loop", "--exact", "--nocapture", "--test-threads=1"])
        .env(DIR_ENV, dir)
        .env(BASE_ENV, base.to_string())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

/// Runs one child until `kill`, SIGKILLs it, and returns every id it
/// acknowledged (read to the end of its stdout, after the kill).
fn run_child(dir: &std::path::Path, base: u64, kill: Kill, stderr: &std::path::Path) -> Vec<u64> {
    let mut child = spawn_child(dir, base, stderr);
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            // The first id shares its line with libtest's "test child_ingest_loop ... ".
            let line = line.unwrap();
            let Some((_, id)) = line.split_once(ACK) else { continue };
            let id: u64 = id.parse().unwrap();
            if tx.send(id).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut acked = Vec::new();
    let mut first_ack: Option<Instant> = None;
    let give_up = Duration::from_secs(20);
    loop {
        let due = match kill {
            Kill::AfterStart(d) => started.elapsed() >= d,
            Kill::AfterAcks(n) => acked.len() >= n,
            Kill::MidCompaction(d) => first_ack.is_some_and(|f| f.elapsed() >= d),
        };
        if due {
            break;
        }
        match rx.recv_timeout(Duration::from_millis(1)) {
            Ok(id) => {
                first_ack.get_or_insert_with(Instant::now);
                acked.push(id);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("child exited by itself: {}", std::fs::read_to_string(stderr).unwrap_or_default())
            }
        }
        assert!(started.elapsed() < give_up, "child made no progress in {give_up:?}");
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap();
    acked.extend(rx.try_iter());
    acked
}

/// What the parent knows across rounds.
#[derive(Default)]
struct Expected {
    /// Ids known durable: acknowledged, or found present after a kill.
    durable: BTreeSet<u64>,
    /// Per tenant, the merged folded stacks of its durable ids.
    reference: BTreeMap<&'static str, BTreeMap<String, i64>>,
}

impl Expected {
    fn add(&mut self, id: u64) {
        if self.durable.insert(id) {
            add_reference(self.reference.entry(TENANTS[(id % N) as usize]).or_default(), id);
        }
    }
}

/// Ids that were possibly in flight when the child died: per task, the
/// one after its last acknowledged id (each task ingests one at a time).
fn in_flight(base: u64, acked: &[u64]) -> BTreeSet<u64> {
    (0..N)
        .map(|task| acked.iter().copied().filter(|id| id % N == task).max().map_or(base + task, |last| last + N))
        .collect()
}

/// Opens the store as a restart would and checks it against `expected`,
/// then records the unacknowledged ids that turned out durable.
async fn verify(dir: &std::path::Path, expected: &mut Expected, acked: &[u64], maybe: &BTreeSet<u64>, end: u64) {
    let fs = LocalFileSystem::new_with_prefix(dir).unwrap().with_fsync(true);
    let config = StoreConfig { maintenance_interval: None, ..StoreConfig::default() };
    let store = Store::open(Arc::new(fs), config).await.unwrap();
    assert!(store.corrupt_objects().is_empty(), "corrupt after restart: {:?}", store.corrupt_objects());
    for &id in acked {
        expected.add(id);
    }
    let range = TimeRange { start: T0, end: time_of(end) };
    let mut present = BTreeSet::new();
    for (ti, tenant) in TENANTS.iter().enumerate() {
        let totals = store.series_totals(tenant, &AllSeries, range, SEC, &[]).await.unwrap();
        for (&t, &(sum, count)) in totals.values().flatten() {
            let id = ((t - T0) / SEC) as u64;
            assert_eq!(id % N, ti as u64, "profile {id} found under the wrong tenant {tenant}");
            assert_eq!((sum, count), (total_of(id), 2), "profile {id}: wrong total or series count");
            present.insert(id);
        }
    }
    let missing: Vec<_> = expected.durable.difference(&present).collect();
    assert!(missing.is_empty(), "durable profiles missing after restart: {missing:?}");
    let unexpected: Vec<_> =
        present.iter().filter(|id| !expected.durable.contains(id) && !maybe.contains(id)).collect();
    assert!(
        unexpected.is_empty(),
        "profiles never acknowledged nor in flight appeared: {unexpected:?} (acked {acked:?}, in flight {maybe:?})"
    );
    for &id in present.difference(&expected.durable.clone()) {
        expected.add(id);
    }
    for tenant in TENANTS {
        let tree = store.merge_tree(tenant, &AllSeries, range).await.unwrap();
        let want = expected.reference.get(tenant).cloned().unwrap_or_default();
        assert_eq!(tree.folded_map(), want, "merged stacks of {tenant} differ from the reference");
    }
    if let Some(&last) = acked.last() {
        let found = store.profile_by_id(TENANTS[(last % N) as usize], u128::from(last)).await.unwrap();
        assert_eq!(found.len(), 2, "profile {last} by id: one profile per sample type");
    }
    assert!(store.corrupt_objects().is_empty(), "corrupt while reading: {:?}", store.corrupt_objects());
    store.close().await;
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
}

/// Files an upload killed mid-write left behind (`object_store` stages
/// them as `<name>#<n>` and never lists them).
fn count_staged(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.path().is_dir() {
            true => count_staged(&e.path()),
            false => usize::from(e.file_name().to_string_lossy().contains('#')),
        })
        .sum()
}

#[test]
fn acknowledged_profiles_survive_sigkill_at_random_moments() {
    let rounds: usize = std::env::var("KILN_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(30);
    let seed = std::env::var("KILN_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("crash test: {rounds} rounds, KILN_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let stderr = tmp.path().join("child.stderr");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut expected = Expected::default();
    let mut base = 0u64;
    let started = Instant::now();
    for round in 0..rounds {
        let kill = pick_kill(&mut rng, round);
        let acked = run_child(&data, base, kill, &stderr);
        let maybe = in_flight(base, &acked);
        let end = *maybe.iter().max().unwrap();
        let (before, staged) = (count_files(&data), count_staged(&data));
        rt.block_on(verify(&data, &mut expected, &acked, &maybe, end));
        let after = count_files(&data);
        eprintln!(
            "round {round:2}: {kill:?}: {} acknowledged, {} durable in total; {before} files at restart \
             ({staged} half-written uploads), {} replaced blocks deleted at open",
            acked.len(),
            expected.durable.len(),
            before - after,
        );
        base = (end / N + 1) * N;
    }
    assert!(expected.durable.len() > rounds, "too little was ingested to prove anything");
    eprintln!(
        "crash test: {} profiles durable after {rounds} kills in {:?}",
        expected.durable.len(),
        started.elapsed()
    );
}
