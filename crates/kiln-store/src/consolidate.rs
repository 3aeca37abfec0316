//! Consolidation: the closed-window blocks (level 2) of one longer period
//! (a day by default) become one level-3 block. Row sections are copied
//! through byte for byte, never decoded; per service one more partition
//! holds every source's rollups over one merged `SymbolDb` and no rows. A
//! query over days then decodes one symbol table and one rollup section
//! per day instead of one per window block. Memory holds one source
//! object and the rollups; the output streams to the object store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use kiln_model::stacks::{StackSamples, SymbolDb};
use object_store::{ObjectStoreExt, WriteMultipart};

use crate::background::{self, join_error};
use crate::block_writer::encode_partition;
use crate::error::{Error, Result};
use crate::format::{decode_meta, footer_bytes, section_bytes, write_section, MAGIC};
use crate::labels::Labels;
use crate::objects::{self, block_path, new_block_id, ObjectInfo};
use crate::partition::{Partition, Rollup, SeriesInfo};
use crate::pb;
use crate::read_partition::{decode_partition, Part};
use crate::store::Store;

/// Level of a consolidated block.
pub const LEVEL_CONSOLIDATED: u32 = 3;
/// Most compressed rollup bytes one consolidation reads from its sources,
/// bounding the rollups it holds in memory.
pub const MAX_ROLLUP_BYTES: u64 = 32 << 20;

/// One rollup being gathered: (stack id, value) pairs from every source,
/// and the profiles they sum.
type Pending = (Vec<(u32, i64)>, u64);

/// One service's rollups gathered from the sources.
#[derive(Default)]
struct Gathered {
    db: SymbolDb,
    series: Vec<SeriesInfo>,
    index: HashMap<Labels, u32>,
    rollups: BTreeMap<(u32, i64), Pending>,
}

impl Gathered {
    fn series_id(&mut self, s: &SeriesInfo) -> u32 {
        let next = self.series.len() as u32;
        let id = *self.index.entry(s.labels.clone()).or_insert(next);
        if id == next {
            self.series.push(SeriesInfo { profiles: 0, total: 0, ..s.clone() });
        }
        let e = &mut self.series[id as usize];
        e.min_time_nanos = e.min_time_nanos.min(s.min_time_nanos);
        e.max_time_nanos = e.max_time_nanos.max(s.max_time_nanos);
        id
    }

    fn add(&mut self, p: &Partition) {
        let ids = self.db.absorb(&p.db);
        for r in &p.rollups {
            let series = self.series_id(&p.series[r.series as usize]);
            let g = self.rollups.entry((series, r.start_nanos)).or_default();
            let pairs = r.samples.stack_ids.iter().zip(&r.samples.values);
            g.0.extend(pairs.filter_map(|(&id, &v)| Some((*ids.get(id as usize)?, v))));
            g.1 += r.profiles;
        }
    }

    /// The rollup partition: no rows, one rollup per (series, bucket) with
    /// samples summed by stack.
    fn into_partition(self, service: String) -> Partition {
        let rollups = self
            .rollups
            .into_iter()
            .map(|((series, start_nanos), (mut pairs, profiles))| {
                pairs.sort_unstable_by_key(|&(id, _)| id);
                let mut samples = StackSamples::default();
                for (id, v) in pairs {
                    if samples.stack_ids.last() == Some(&id) {
                        let last = samples.values.last_mut().expect("values follow ids");
                        *last = last.saturating_add(v);
                    } else {
                        samples.stack_ids.push(id);
                        samples.values.push(v);
                    }
                }
                Rollup { series, start_nanos, profiles, samples }
            })
            .collect();
        Partition { service, db: Arc::new(self.db), series: self.series, rows: Vec::new(), rollups, dictionary: None }
    }
}

/// The block being written: its length so far and its footer entries.
struct Output {
    writer: WriteMultipart,
    len: u64,
    partitions: Vec<pb::PartitionMeta>,
}

impl Output {
    fn write(&mut self, bytes: &[u8]) {
        self.writer.write(bytes);
        self.len += bytes.len() as u64;
    }

    /// Copies a partition's row sections through, with an empty rollups
    /// section (its rollups move to the service's rollup partition).
    fn copy_rows(&mut self, object: &[u8], pm: &pb::PartitionMeta) -> Result<()> {
        let mut copy = |s: &Option<pb::Section>| -> Result<Option<pb::Section>> {
            let s = s.ok_or_else(|| Error::corrupt(format!("partition {} lacks a section", pm.service)))?;
            let offset = self.len;
            self.write(section_bytes(object, &s)?);
            Ok(Some(pb::Section { offset, ..s }))
        };
        let (symbols, index, samples) = (copy(&pm.symbols)?, copy(&pm.index)?, copy(&pm.samples)?);
        let mut empty = Vec::new();
        let rollups = Some(write_section(&mut empty, self.len, &pb::Rollups::default()));
        self.write(&empty);
        self.partitions.push(pb::PartitionMeta { symbols, index, samples, rollups, ..pm.clone() });
        Ok(())
    }
}

impl Store {
    /// Replaces `sources` (oldest first) by one level-3 block holding their
    /// partitions but those of `drop_service`. Rollups are decoded, gathered
    /// and encoded on the background pool; row sections are copied on the
    /// runtime (the upload needs it), without decoding.
    pub(crate) async fn consolidate(
        &self,
        tenant: &str,
        sources: Vec<ObjectInfo>,
        drop_service: Option<&str>,
        pending: &mut Vec<(ObjectInfo, Instant)>,
    ) -> Result<()> {
        if !self.hold_lease().await? {
            return Ok(());
        }
        let id = new_block_id(self.now(), &self.inner.writer);
        let path = block_path(tenant, &id);
        let upload = self.inner.object_store.put_multipart(&path).await?;
        let mut out = Output { writer: WriteMultipart::new(upload), len: 0, partitions: Vec::new() };
        out.write(MAGIC);
        let mut gathered: BTreeMap<String, Gathered> = BTreeMap::new();
        for o in &sources {
            let bytes = objects::get(self.inner.object_store.as_ref(), &o.path).await?;
            let (source, drop_service) = (bytes.clone(), drop_service.map(str::to_owned));
            let kept;
            (gathered, kept) = background::spawn(move || {
                let kept = gather_rollups(&mut gathered, &source, drop_service.as_deref());
                (gathered, kept)
            })
            .await
            .map_err(join_error)?;
            let copied = kept.and_then(|kept| kept.iter().try_for_each(|pm| out.copy_rows(&bytes, pm)));
            if let Err(e) = copied {
                // A damaged object is left alone, not consolidated.
                self.quarantine(o, e.to_string()).await;
                return out.writer.abort().await.map_err(Error::from);
            }
            out.writer.wait_for_capacity(2).await?;
        }
        let base = out.len;
        let (rest, metas) = background::spawn(move || {
            let mut rest = Vec::new();
            let metas: Vec<_> = gathered
                .into_iter()
                .map(|(service, g)| encode_partition(&mut rest, base, &g.into_partition(service), None))
                .collect();
            (rest, metas)
        })
        .await
        .map_err(join_error)?;
        out.partitions.extend(metas);
        out.write(&rest);
        let meta = pb::BlockMeta {
            format_version: crate::format::FORMAT_VERSION,
            id,
            tenant: tenant.to_owned(),
            level: LEVEL_CONSOLIDATED,
            min_time_nanos: sources.iter().map(|o| o.meta.min_time_nanos).min().unwrap_or(0),
            max_time_nanos: sources.iter().map(|o| o.meta.max_time_nanos).max().unwrap_or(0),
            sources: sources.iter().map(|o| o.meta.id.clone()).collect(),
            partitions: std::mem::take(&mut out.partitions),
            rollup_nanos: sources.first().map_or(0, |o| o.meta.rollup_nanos),
        };
        out.write(&footer_bytes(&meta));
        let size = out.len;
        out.writer.finish().await?;
        let info = ObjectInfo::new(path, size, meta, &self.inner.labels);
        let replaced =
            self.inner.catalog.write().expect("catalog lock").replace(tenant, &info.meta.sources.clone(), Some(info));
        let now = Instant::now();
        pending.extend(replaced.into_iter().map(|o| (o, now)));
        Ok(())
    }
}

/// Adds the rollups of one source object's partitions, all but those of
/// `drop_service`, to `gathered`; returns those partitions' footer entries
/// that hold rows, to be copied through.
fn gather_rollups(
    gathered: &mut BTreeMap<String, Gathered>,
    bytes: &[u8],
    drop_service: Option<&str>,
) -> Result<Vec<pb::PartitionMeta>> {
    let meta = decode_meta(bytes)?;
    let mut with_rows = Vec::new();
    for pm in meta.partitions.into_iter().filter(|pm| Some(pm.service.as_str()) != drop_service) {
        let rollups = decode_partition(bytes, &pm, Part::Rollups)?;
        if !rollups.rollups.is_empty() {
            gathered.entry(pm.service.clone()).or_default().add(&rollups);
        }
        if pm.profiles > 0 {
            with_rows.push(pm);
        }
    }
    Ok(with_rows)
}

/// Splits level-2 objects of one period (oldest first) into groups whose
/// compressed rollups stay under [`MAX_ROLLUP_BYTES`].
pub fn groups(mut objects: Vec<ObjectInfo>) -> Vec<Vec<ObjectInfo>> {
    objects.sort_by_key(|o| (o.meta.min_time_nanos, o.meta.id.clone()));
    let rollup_bytes =
        |o: &ObjectInfo| o.meta.partitions.iter().filter_map(|p| p.rollups).map(|s| s.length).sum::<u64>();
    let mut out: Vec<Vec<ObjectInfo>> = Vec::new();
    let mut used = 0u64;
    for o in objects {
        let n = rollup_bytes(&o);
        if out.is_empty() || used + n > MAX_ROLLUP_BYTES {
            out.push(Vec::new());
            used = 0;
        }
        used += n;
        out.last_mut().expect("a group was pushed").push(o);
    }
    out
}
