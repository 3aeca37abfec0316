//! Where blocks live in the object store and how they are named, read and
//! written. The `object_store` crate is the storage layer; this file only
//! knows Kiln's paths.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{Error, ErrorKind, Result};
use crate::format::{decode_footer, decode_trailer, TRAILER_LEN};
use crate::labels::Labels;
use crate::partition::SeriesInfo;
use crate::pb;

const PREFIX: &str = "blocks";
const SUFFIX: &str = ".kiln";

/// A block object as the catalog knows it. The footer's series labels are
/// moved out of `meta` into `series`, interned, so thousands of objects of
/// the same series hold each label set once.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub path: Path,
    pub size: u64,
    pub meta: Arc<pb::BlockMeta>,
    /// Per partition, its series.
    pub series: Arc<Vec<Vec<SeriesEntry>>>,
}

/// One series of a partition, as the footer describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesEntry {
    pub labels: Arc<Labels>,
    pub min_time_nanos: i64,
    pub max_time_nanos: i64,
    pub profiles: u64,
    pub total: i64,
}

impl SeriesEntry {
    /// The entry as a decoded partition's series.
    pub fn info(&self) -> SeriesInfo {
        SeriesInfo {
            labels: self.labels.as_ref().clone(),
            min_time_nanos: self.min_time_nanos,
            max_time_nanos: self.max_time_nanos,
            profiles: self.profiles,
            total: self.total,
        }
    }
}

/// Label sets shared by every object that holds the series.
#[derive(Debug, Default)]
pub struct LabelInterner(Mutex<HashSet<Arc<Labels>>>);

impl LabelInterner {
    pub fn intern(&self, labels: Labels) -> Arc<Labels> {
        let mut set = self.0.lock().expect("interner lock");
        if let Some(l) = set.get(&labels) {
            return l.clone();
        }
        let l = Arc::new(labels);
        set.insert(l.clone());
        l
    }

    /// Forgets label sets no object uses any more.
    pub fn sweep(&self) {
        self.0.lock().expect("interner lock").retain(|l| Arc::strong_count(l) > 1);
    }
}

impl ObjectInfo {
    pub fn new(path: Path, size: u64, mut meta: pb::BlockMeta, labels: &LabelInterner) -> ObjectInfo {
        let series = meta
            .partitions
            .iter_mut()
            .map(|pm| {
                std::mem::take(&mut pm.series)
                    .into_iter()
                    .map(|s| SeriesEntry {
                        labels: labels.intern(s.labels.into_iter().map(|l| (l.name, l.value)).collect()),
                        min_time_nanos: s.min_time_nanos,
                        max_time_nanos: s.max_time_nanos,
                        profiles: s.profiles,
                        total: s.total,
                    })
                    .collect()
            })
            .collect();
        ObjectInfo { path, size, meta: Arc::new(meta), series: Arc::new(series) }
    }
}

/// Tenant names become one path segment: anything but `[A-Za-z0-9_.-]` is
/// percent-encoded, so no tenant can reach another's prefix. A segment
/// that would pass a file name's 255 bytes on disk (`object_store` writes
/// each `%` as `%25`) keeps a readable head and ends in `%00` and a hash of
/// the whole name; `%00` is in no other tenant's segment (a NUL byte is not
/// a valid tenant), and the catalog knows each object's tenant from its
/// footer, so a name longer than the disk allows still has a home.
pub fn tenant_segment(tenant: &str) -> String {
    let mut out = String::with_capacity(tenant.len());
    for b in tenant.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    if on_disk_len(&out) > MAX_SEGMENT_ON_DISK {
        return hashed_segment(&out, tenant);
    }
    out
}

/// Linux's `NAME_MAX`.
const MAX_SEGMENT_ON_DISK: usize = 255;

fn on_disk_len(segment: &str) -> usize {
    segment.len() + 2 * segment.bytes().filter(|&b| b == b'%').count()
}

/// On-disk bytes of a hashed segment's readable head.
const HEAD_ON_DISK: usize = 128;

fn hashed_segment(encoded: &str, tenant: &str) -> String {
    let mut head = String::new();
    let mut rest = encoded;
    // Whole characters or `%XX` escapes; `encoded` is ASCII.
    while let Some(unit) = rest.get(..if rest.starts_with('%') { 3 } else { 1 }) {
        if on_disk_len(&head) + on_disk_len(unit) > HEAD_ON_DISK {
            break;
        }
        head.push_str(unit);
        rest = &rest[unit.len()..];
    }
    let reversed: Vec<u8> = tenant.bytes().rev().collect();
    let hash = (u64::from(crc32fast::hash(tenant.as_bytes())) << 32) | u64::from(crc32fast::hash(&reversed));
    format!("{head}%00{hash:016x}{:x}", tenant.len())
}

pub fn block_path(tenant: &str, id: &str) -> Path {
    Path::from_iter([PREFIX, &tenant_segment(tenant), &format!("{id}{SUFFIX}")])
}

/// A new block id: creation time, the writer's tag ([`writer_tag`]) and a
/// process-wide counter, so ids sort by creation and never repeat, even
/// between nodes writing to one bucket.
pub fn new_block_id(now_nanos: i64, writer: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}-{writer}-{:04x}", now_nanos.max(0), n & 0xffff_ffff)
}

/// What names one store instance in the ids of its blocks and in the
/// compactor lease: the node id (letters, digits, `_` and `-` kept, at
/// most 40 bytes) and 32 random bits, so two processes started with the
/// same node id still never write the same name.
pub fn writer_tag(node_id: &str) -> String {
    use std::hash::{BuildHasher, RandomState};
    let node: String =
        node_id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')).take(40).collect();
    let random = RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now())) as u32;
    if node.is_empty() {
        format!("{random:08x}")
    } else {
        format!("{node}-{random:08x}")
    }
}

/// Writes an object; a failure names no file system path (see
/// [`Error::write_failed`]).
pub async fn put(store: &dyn ObjectStore, path: &Path, bytes: Vec<u8>) -> Result<()> {
    let written = store.put(path, PutPayload::from(Bytes::from(bytes))).await;
    written.map(drop).map_err(|e| Error::write_failed("writing a block", e))
}

pub async fn get(store: &dyn ObjectStore, path: &Path) -> Result<Bytes> {
    Ok(store.get(path).await?.bytes().await?)
}

/// Byte ranges of an object; an `ErrorKind::Gone` error when the object
/// is gone.
pub async fn get_ranges(store: &dyn ObjectStore, path: &Path, ranges: &[std::ops::Range<u64>]) -> Result<Vec<Bytes>> {
    Ok(store.get_ranges(path, ranges).await?)
}

pub async fn delete(store: &dyn ObjectStore, path: &Path) -> Result<()> {
    match store.delete(path).await {
        Ok(()) => Ok(()),
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Every block object under the prefix: its path and size.
pub async fn list_blocks(store: &dyn ObjectStore) -> Result<Vec<ObjectMeta>> {
    let metas: Vec<ObjectMeta> = store.list(Some(&Path::from(PREFIX))).try_collect().await?;
    Ok(metas.into_iter().filter(|m| m.location.as_ref().ends_with(SUFFIX)).collect())
}

/// Every block object under the prefix, with its footer read. Objects
/// whose footer cannot be read are returned as errors beside the rest.
pub async fn list(store: &dyn ObjectStore, labels: &LabelInterner) -> Result<(Vec<ObjectInfo>, Vec<(Path, Error)>)> {
    read_footers(store, list_blocks(store).await?, labels).await
}

/// The footers of listed objects, as catalog entries; objects whose
/// footer cannot be read are returned as errors beside the rest.
pub async fn read_footers(
    store: &dyn ObjectStore,
    metas: Vec<ObjectMeta>,
    labels: &LabelInterner,
) -> Result<(Vec<ObjectInfo>, Vec<(Path, Error)>)> {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    // Several footers in flight: on a bucket each read is a round trip, and
    // one after another a querier over thousands of objects took minutes
    // to start.
    let mut reads = futures::stream::iter(metas)
        .map(|m| async move {
            let meta = read_meta(store, &m.location, m.size).await;
            (m, meta)
        })
        .buffered(FOOTERS_IN_FLIGHT);
    while let Some((m, meta)) = reads.next().await {
        match meta {
            Ok(meta) => ok.push(ObjectInfo::new(m.location, m.size, meta, labels)),
            // Deleted between the listing and the read: not an error.
            Err(e) if e.kind == ErrorKind::Gone => {}
            Err(e) => bad.push((m.location, e)),
        }
    }
    Ok((ok, bad))
}

/// Footer reads at once when listing a store.
const FOOTERS_IN_FLIGHT: usize = 16;

/// Reads an object's footer with two ranged reads.
async fn read_meta(store: &dyn ObjectStore, path: &Path, size: u64) -> Result<pb::BlockMeta> {
    if size < (8 + TRAILER_LEN) as u64 {
        return Err(Error::corrupt(format!("{path}: too short to be a block")));
    }
    let tail = store.get_range(path, size - TRAILER_LEN as u64..size).await?;
    let (len, crc) = decode_trailer(&tail).map_err(|e| Error::new(e.kind, format!("{path}: {}", e.message)))?;
    let start = (size - TRAILER_LEN as u64).checked_sub(len).filter(|&s| s >= 8);
    let start = start.ok_or_else(|| Error::new(ErrorKind::Corrupt, format!("{path}: footer length out of range")))?;
    let footer = store.get_range(path, start..size - TRAILER_LEN as u64).await?;
    decode_footer(&footer, crc).map_err(|e| Error::new(e.kind, format!("{path}: {}", e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_of_punctuation_fits_one_file_name_on_disk() {
        let long = "()".repeat(75);
        let segment = tenant_segment(&long);
        assert!(on_disk_len(&segment) <= MAX_SEGMENT_ON_DISK, "{segment}");
        assert!(segment.starts_with("%28%29") && segment.contains("%00"), "{segment}");
        assert_ne!(segment, tenant_segment(&"()".repeat(74)));
        assert_eq!(tenant_segment("shop-1.eu"), "shop-1.eu", "short names are unchanged");
    }
}
