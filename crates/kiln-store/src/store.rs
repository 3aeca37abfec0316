//! The store: configuration, opening, ingestion with acknowledgement on
//! durability, and the background tasks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use object_store::ObjectStore;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::block_writer::{encode_block, encode_segment, BlockHeader};
use crate::cache::PartitionCache;
use crate::catalog::Catalog;
use crate::dict::EncodedSymbols;
use crate::error::{Error, ErrorKind, Result};
use crate::ingest::{Head, IngestProfile};
use crate::lease::{LeaseConfig, LeaseState};
use crate::merge::compute_rollups;
use crate::objects::{self, block_path, new_block_id, LabelInterner, ObjectInfo};
use crate::partition::Partition;
use crate::quarantine;
use crate::recent::{segment_sums, Recent};
use crate::refresh::{refresher, RefreshState};
use crate::section_cache::SectionCache;
use crate::symbol_cache::SymbolCache;

/// The current time in Unix nanoseconds; injectable for tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How the store behaves. `Default` is what `kiln server` uses.
#[derive(Clone)]
pub struct StoreConfig {
    /// Longest time an acknowledged write waits for its segment: the
    /// group-commit window.
    pub segment_interval: Duration,
    /// Compaction and retention run this often in the background; `None`
    /// leaves them to explicit calls (tests).
    pub maintenance_interval: Option<Duration>,
    /// Compaction window and rollup bucket.
    pub window: Duration,
    /// A window is closed (merged with rollups) this long after its end.
    pub window_grace: Duration,
    /// Closed windows' blocks of each period this long (aligned to the
    /// Unix epoch) are consolidated into one level-3 block once every
    /// window of the period is closed; `None` keeps one block per window.
    pub consolidation_period: Option<Duration>,
    /// Most samples one compaction merge holds in memory; a window with
    /// more is compacted into several blocks.
    pub compaction_max_samples: u64,
    /// Replaced objects are deleted this long after being replaced, so
    /// queries that planned with them can finish.
    pub delete_delay: Duration,
    pub retention_max_age: Option<Duration>,
    pub retention_max_bytes: Option<u64>,
    /// Bound on the decoded-partition cache.
    pub cache_bytes: usize,
    /// Bound on the cache of fetched section bytes; 0 (the default, for
    /// local disk) keeps none.
    pub section_cache_bytes: usize,
    /// Bound on the open window's pre-aggregate (`recent.rs`); 0 turns it
    /// off and merges read raw rows.
    pub recent_bytes: usize,
    /// The head (rows accepted, not yet in a segment) is flushed early when
    /// it holds about this many bytes, and ingestion waits while it holds
    /// twice as many (a slow object store pushes back on clients instead of
    /// growing memory).
    pub head_max_bytes: usize,
    /// With background maintenance on: maintenance runs early once this
    /// many segments wait for compaction, and ingestion waits while twice
    /// as many do, so an ingest rate compaction cannot follow slows
    /// clients down instead of growing the catalog without bound.
    pub max_pending_segments: usize,
    pub clock: Clock,
    /// Names this node in the ids of the blocks it writes and in the
    /// compactor lease (with a random part, see `objects::writer_tag`).
    pub node_id: String,
    /// Other nodes write to the same object store: list it this often and
    /// bring the catalog in line (their new objects in, deleted and
    /// replaced ones out; `refresh.rs`). Objects replaced before a crash
    /// are then left to the lease holder's maintenance instead of being
    /// deleted at open. `None`: this store is the only writer and the
    /// catalog follows its own writes.
    pub refresh_interval: Option<Duration>,
    /// Maintenance (compaction, retention, deletion) runs only while this
    /// store holds the compactor lease kept in the object store
    /// (`lease.rs`). `None`: this store is the only maintainer.
    pub lease: Option<LeaseConfig>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            segment_interval: Duration::from_millis(50),
            maintenance_interval: Some(Duration::from_secs(15)),
            window: Duration::from_secs(3600),
            window_grace: Duration::from_secs(120),
            consolidation_period: Some(Duration::from_secs(24 * 3600)),
            compaction_max_samples: 1_000_000,
            delete_delay: Duration::from_secs(30),
            retention_max_age: None,
            retention_max_bytes: None,
            cache_bytes: 64 << 20,
            section_cache_bytes: 0,
            recent_bytes: 128 << 20,
            head_max_bytes: 32 << 20,
            max_pending_segments: 200,
            clock: Arc::new(system_now),
            node_id: String::new(),
            refresh_interval: None,
            lease: None,
        }
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

pub(crate) struct Inner {
    pub object_store: Arc<dyn ObjectStore>,
    pub config: StoreConfig,
    pub head: Mutex<Head>,
    /// The head's bytes as of its last change, read without its lock.
    pub head_bytes: AtomicUsize,
    pub flush_wanted: Notify,
    /// Wakes the flusher before its interval is over: the head is full.
    pub flush_early: Notify,
    /// Notified after every flush.
    pub flushed: Notify,
    /// Wakes the maintainer before its interval is over.
    pub maintain_early: Notify,
    /// Notified after every maintenance round.
    pub maintained: Notify,
    pub catalog: RwLock<Catalog>,
    pub cache: PartitionCache,
    /// Section bytes fetched from a remote store (`section_cache.rs`).
    pub sections: SectionCache,
    /// Recent rows summed per series and bucket, for merges.
    pub recent: Recent,
    /// Decoded symbol tables shared by byte-identical `symbols` sections.
    pub symbols: SymbolCache,
    /// Bounds the threads merging query results at once (one per core).
    pub merge_workers: Arc<tokio::sync::Semaphore>,
    pub labels: LabelInterner,
    /// Held by compaction, retention and deletion so they never overlap.
    pub maintenance: tokio::sync::Mutex<Vec<(ObjectInfo, Instant)>>,
    pub corrupt: Mutex<Vec<String>>,
    /// This store's part of block ids and its name in the lease.
    pub writer: String,
    pub lease: Mutex<LeaseState>,
    /// Serialises catalog refreshes and remembers what they skip.
    pub refresh: tokio::sync::Mutex<RefreshState>,
    shutdown: watch::Sender<bool>,
}

/// Kiln's storage engine. Cheap to clone; all clones share one store.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Store {
    /// Opens the store: reads every block's footer, deletes objects that
    /// were replaced before a crash, and starts the background tasks. Must
    /// run inside a tokio runtime.
    pub async fn open(object_store: Arc<dyn ObjectStore>, config: StoreConfig) -> Result<Store> {
        let labels = LabelInterner::default();
        let (listed, bad) = objects::list(object_store.as_ref(), &labels).await?;
        let (catalog, stale) = Catalog::from_listing(listed);
        let shared = config.refresh_interval.is_some() || config.lease.is_some();
        // Alone, this store deletes what a crash left replaced; shared, the
        // lease holder does, after the delay queries on other nodes need.
        if !shared {
            for o in stale {
                objects::delete(object_store.as_ref(), &o.path).await?;
            }
        }
        let corrupt: Vec<String> = bad.iter().map(|(p, e)| format!("{p}: {e}")).collect();
        for (c, (path, e)) in corrupt.iter().zip(&bad) {
            tracing::warn!("skipping unreadable block {c}");
            if quarantine::is_damage(e) {
                quarantine::move_aside(object_store.as_ref(), path).await;
            }
        }
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            object_store,
            cache: PartitionCache::new(config.cache_bytes),
            sections: SectionCache::new(config.section_cache_bytes),
            recent: Recent::new(config.recent_bytes),
            symbols: SymbolCache::default(),
            merge_workers: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            labels,
            writer: objects::writer_tag(&config.node_id),
            config,
            head: Mutex::new(Head::default()),
            head_bytes: AtomicUsize::new(0),
            flush_wanted: Notify::new(),
            flush_early: Notify::new(),
            flushed: Notify::new(),
            maintain_early: Notify::new(),
            maintained: Notify::new(),
            catalog: RwLock::new(catalog),
            maintenance: tokio::sync::Mutex::new(Vec::new()),
            corrupt: Mutex::new(corrupt),
            lease: Mutex::new(LeaseState::default()),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            shutdown,
        });
        let store = Store { inner, tasks: Arc::new(Mutex::new(Vec::new())) };
        store.spawn_tasks();
        Ok(store)
    }

    fn spawn_tasks(&self) {
        let mut tasks = self.tasks.lock().expect("tasks lock");
        tasks.push(tokio::spawn(flusher(self.clone())));
        if let Some(every) = self.inner.config.maintenance_interval {
            tasks.push(tokio::spawn(maintainer(self.clone(), every)));
        }
        if let Some(every) = self.inner.config.refresh_interval {
            tasks.push(tokio::spawn(refresher(self.clone(), every)));
        }
    }

    /// Forgets a deleted or replaced block's cached partitions and sections.
    pub(crate) fn forget_cached(&self, block_id: &str) {
        self.inner.cache.forget(block_id);
        self.inner.sections.forget(block_id);
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub(crate) fn now(&self) -> i64 {
        (self.inner.config.clock)()
    }

    /// Accepts profiles for a tenant; returns once they are durable in a
    /// segment object. On error nothing of this call is acknowledged.
    ///
    /// Adding them to the head (interning every stack into the service's
    /// dictionary, under the head's lock) and dropping them afterwards run
    /// on tokio's blocking pool, so the runtime's threads neither spend
    /// that CPU nor wait for the lock.
    pub async fn ingest(&self, tenant: &str, profiles: Vec<IngestProfile>) -> Result<()> {
        if *self.inner.shutdown.borrow() {
            return Err(Error::new(ErrorKind::Closed, "the store is shutting down"));
        }
        self.wait_for_compaction().await;
        self.wait_for_head_room().await;
        let (store, owner) = (self.clone(), tenant.to_owned());
        let (done, full) = tokio::task::spawn_blocking(move || {
            let mut head = store.inner.head.lock().expect("head lock");
            let done = head.add(&owner, &profiles);
            store.inner.head_bytes.store(head.bytes(), Ordering::Relaxed);
            (done, head.bytes() >= store.inner.config.head_max_bytes)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Storage, format!("adding to the head: {e}")))?;
        self.inner.flush_wanted.notify_one();
        if full {
            self.inner.flush_early.notify_one();
        }
        done.await.map_err(|_| Error::new(ErrorKind::Closed, "the store stopped before the write was durable"))?
    }

    /// Wakes maintenance when segments pile up, and waits while more than
    /// twice `max_pending_segments` wait for it.
    async fn wait_for_compaction(&self) {
        if self.inner.config.maintenance_interval.is_none() {
            return;
        }
        let max = self.inner.config.max_pending_segments;
        loop {
            let maintained = self.inner.maintained.notified();
            tokio::pin!(maintained);
            maintained.as_mut().enable();
            let pending = self.inner.catalog.read().expect("catalog lock").segments();
            if pending >= max {
                self.inner.maintain_early.notify_one();
            }
            if pending < 2 * max {
                return;
            }
            maintained.await;
        }
    }

    /// Waits while the head holds more than twice its bound.
    async fn wait_for_head_room(&self) {
        loop {
            let flushed = self.inner.flushed.notified();
            tokio::pin!(flushed);
            flushed.as_mut().enable();
            if self.inner.head_bytes.load(Ordering::Relaxed) < 2 * self.inner.config.head_max_bytes {
                return;
            }
            self.inner.flush_early.notify_one();
            flushed.await;
        }
    }

    /// Writes everything accepted so far as segments and acknowledges it.
    pub async fn flush(&self) {
        // Taking sorts each partition's rows under the head's lock: off the
        // runtime, as adding is.
        let store = self.clone();
        let taken = tokio::task::spawn_blocking(move || {
            let mut head = store.inner.head.lock().expect("head lock");
            let batches = head.take();
            store.inner.head_bytes.store(head.bytes(), Ordering::Relaxed);
            batches
        });
        let Ok(batches) = taken.await else {
            // The runtime is stopping (or taking panicked): the waiters learn
            // it from their dropped senders, as "the store stopped".
            return;
        };
        for b in batches {
            let result = self.write_segment(&b.tenant, b.partitions).await;
            for w in b.waiters {
                let _ = w.send(result.clone());
            }
        }
        self.inner.flushed.notify_waiters();
    }

    /// Writes a segment, if there is anything in it, and adds it to the
    /// catalog.
    async fn write_segment(&self, tenant: &str, parts: Vec<(Partition, Arc<EncodedSymbols>)>) -> Result<()> {
        if parts.is_empty() {
            return Ok(());
        }
        let header = self.header(tenant, 0, Vec::new(), 0);
        let (store, owner) = (self.clone(), tenant.to_owned());
        let (bytes, meta, sums) = tokio::task::spawn_blocking(move || {
            let recent = &store.inner.recent;
            let sums = segment_sums(&parts, recent.bucket()).filter(|_| recent.enabled());
            let (bytes, meta) = encode_segment(&header, &parts);
            let sums = sums.and_then(|s| recent.with_tables(&owner, s, &bytes, &meta, &store.inner.symbols));
            (bytes, meta, sums)
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Storage, format!("encoding a segment: {e}")))?;
        let info = self.put_block(tenant, bytes, meta).await?;
        // The sums enter with the segment under the catalog's write lock:
        // waiting for it, and adding them, happen off the runtime.
        let (store, tenant) = (self.clone(), tenant.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut catalog = store.inner.catalog.write().expect("catalog lock");
            if let Some(sums) = sums {
                store.inner.recent.add(&tenant, &info.meta.id, info.meta.max_time_nanos, sums);
            }
            catalog.insert(info);
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Storage, format!("adding a segment to the catalog: {e}")))
    }

    fn header(&self, tenant: &str, level: u32, sources: Vec<String>, rollup_nanos: i64) -> BlockHeader {
        BlockHeader {
            id: new_block_id(self.now(), &self.inner.writer),
            tenant: tenant.to_owned(),
            level,
            sources,
            rollup_nanos,
        }
    }

    /// Writes an encoded block; returns its catalog entry.
    async fn put_block(&self, tenant: &str, bytes: Vec<u8>, meta: crate::pb::BlockMeta) -> Result<ObjectInfo> {
        let path = block_path(tenant, &meta.id);
        let size = bytes.len() as u64;
        objects::put(self.inner.object_store.as_ref(), &path, bytes).await?;
        Ok(ObjectInfo::new(path, size, meta, &self.inner.labels))
    }

    /// Encodes partitions as a block, writes it and adds it to the catalog.
    pub(crate) async fn write_block(
        &self,
        tenant: &str,
        level: u32,
        sources: Vec<String>,
        partitions: Vec<Partition>,
        rollup_nanos: i64,
    ) -> Result<Option<ObjectInfo>> {
        if partitions.is_empty() {
            return Ok(None);
        }
        let header = self.header(tenant, level, sources, rollup_nanos);
        let (bytes, meta) = crate::background::spawn(move || encode_block(&header, &partitions))
            .await
            .map_err(|e| Error::new(ErrorKind::Storage, format!("encoding a block: {e}")))?;
        self.put_block(tenant, bytes, meta).await.map(Some)
    }

    /// Writes already-built partitions as one block of `level` and adds it
    /// to the catalog, through the code compaction uses: each partition is
    /// finished (rows sorted, series summarised), rollups are computed from
    /// its rows when `rollup_nanos` is positive, and `encode_block` writes
    /// it. For benchmarks and tools that build datasets too large to
    /// ingest profile by profile.
    #[doc(hidden)]
    pub async fn import_block(
        &self,
        tenant: &str,
        level: u32,
        mut partitions: Vec<Partition>,
        rollup_nanos: i64,
    ) -> Result<()> {
        for p in &mut partitions {
            p.finish();
            if rollup_nanos > 0 {
                compute_rollups(p, rollup_nanos);
            }
        }
        if let Some(info) = self.write_block(tenant, level, Vec::new(), partitions, rollup_nanos).await? {
            self.inner.catalog.write().expect("catalog lock").insert(info);
        }
        Ok(())
    }

    /// Flushes, then stops the background tasks.
    pub async fn close(&self) {
        // `send_replace` stores the flag even when no task has subscribed
        // yet (`send` drops it then), and the tasks wait for the value, not
        // for a change they might subscribe too late to see.
        self.inner.shutdown.send_replace(true);
        self.inner.flush_wanted.notify_one();
        let tasks: Vec<_> = std::mem::take(&mut *self.tasks.lock().expect("tasks lock"));
        for t in tasks {
            let _ = t.await;
        }
        self.flush().await;
        self.release_lease().await;
    }
}

/// Group commit: waits for writes, gathers what arrives within one segment
/// interval, writes it, repeats.
async fn flusher(store: Store) {
    let mut shutdown = store.inner.shutdown.subscribe();
    let interval = store.inner.config.segment_interval;
    let mut last = Instant::now() - interval;
    loop {
        tokio::select! {
            _ = store.inner.flush_wanted.notified() => {}
            _ = shutdown.wait_for(|&closed| closed) => return,
        }
        let since = last.elapsed();
        if since < interval {
            tokio::select! {
                _ = tokio::time::sleep(interval - since) => {}
                _ = store.inner.flush_early.notified() => {}
                _ = shutdown.wait_for(|&closed| closed) => return,
            }
        }
        last = Instant::now();
        store.flush().await;
    }
}

/// Compaction and retention on a timer, or early when segments pile up.
async fn maintainer(store: Store, every: Duration) {
    let mut shutdown = store.inner.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = store.inner.maintain_early.notified() => {}
            _ = shutdown.wait_for(|&closed| closed) => return,
        }
        if let Err(e) = store.maintain().await {
            tracing::warn!("maintenance failed: {e}");
        }
        store.inner.maintained.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use kiln_model::ProfileBuilder;
    use object_store::memory::InMemory;

    use super::*;
    use crate::ingest::IngestSeries;
    use crate::labels::normalize;

    fn one_profile() -> IngestProfile {
        let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
        b.add_stack(&["main", "work"], &[10]);
        let labels = normalize(vec![
            ("service_name".into(), "svc".into()),
            ("__profile_type__".into(), "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into()),
        ]);
        IngestProfile {
            id: 1,
            time_nanos: 1_700_000_000_000_000_000,
            duration_nanos: 0,
            profile: Arc::new(b.build()),
            series: vec![IngestSeries { labels, sample_type: 0 }],
        }
    }

    /// Regression: `ingest` took the head's lock on the calling runtime
    /// thread, so one held lock (a flush sorting rows) stalled every task
    /// of that thread, `/ready` among them.
    #[test]
    fn an_ingest_waiting_for_the_head_lock_leaves_the_runtime_thread_serving() {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let config = StoreConfig { maintenance_interval: None, ..StoreConfig::default() };
                let store = Store::open(Arc::new(InMemory::new()), config).await.unwrap();
                // Another thread holds the head's lock, as a flush does.
                let (locked, release) = (mpsc::channel(), mpsc::channel::<()>());
                let holder = {
                    let store = store.clone();
                    std::thread::spawn(move || {
                        let _held = store.inner.head.lock().unwrap();
                        locked.0.send(()).unwrap();
                        release.1.recv().ok();
                    })
                };
                locked.1.recv().unwrap();
                let ingest = tokio::spawn({
                    let store = store.clone();
                    async move { store.ingest("t", vec![one_profile()]).await }
                });
                // The ingest task runs (and waits for the lock) before this
                // one is polled again; with the lock taken on this thread,
                // neither would ever run again.
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                let other = tokio::spawn(async { "served" }).await.unwrap();
                let waiting = !ingest.is_finished();
                release.0.send(()).unwrap();
                holder.join().unwrap();
                ingest.await.unwrap().unwrap();
                tx.send((other, waiting)).unwrap();
            });
        });
        let (other, waiting) = rx.recv_timeout(Duration::from_secs(60)).expect("the runtime thread was blocked");
        assert_eq!(other, "served");
        assert!(waiting, "the ingest finished while the head was locked");
    }
}
