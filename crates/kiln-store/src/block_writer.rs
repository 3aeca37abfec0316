//! Block assembly: a block's partitions written section by section in the
//! layout of `format.rs`, with the footer that indexes them.

use std::sync::Arc;

use crate::codec;
use crate::dict::EncodedSymbols;
use crate::format::{footer_bytes, write_compressed, write_section, FORMAT_VERSION, MAGIC};
use crate::partition::Partition;
use crate::pb;

/// What a block is, apart from its partitions.
#[derive(Debug, Clone, Default)]
pub struct BlockHeader {
    pub id: String,
    pub tenant: String,
    pub level: u32,
    pub sources: Vec<String>,
    pub rollup_nanos: i64,
}

/// Encodes a block; returns its bytes and its footer.
pub fn encode_block(header: &BlockHeader, partitions: &[Partition]) -> (Vec<u8>, pb::BlockMeta) {
    encode_parts(header, partitions.iter().map(|p| (p, None)))
}

/// Encodes a segment: partitions whose symbols come already encoded from
/// the head's dictionaries.
pub(crate) fn encode_segment(
    header: &BlockHeader,
    parts: &[(Partition, Arc<EncodedSymbols>)],
) -> (Vec<u8>, pb::BlockMeta) {
    encode_parts(header, parts.iter().map(|(p, s)| (p, Some(s.compressed()))))
}

/// Partitions with, for each, its compressed symbol section if already
/// encoded (else it is encoded from the partition's `db`).
fn encode_parts<'a>(
    header: &BlockHeader,
    parts: impl Iterator<Item = (&'a Partition, Option<&'a [u8]>)>,
) -> (Vec<u8>, pb::BlockMeta) {
    let mut out = MAGIC.to_vec();
    let mut meta = pb::BlockMeta {
        format_version: FORMAT_VERSION,
        id: header.id.clone(),
        tenant: header.tenant.clone(),
        level: header.level,
        min_time_nanos: i64::MAX,
        max_time_nanos: i64::MIN,
        sources: header.sources.clone(),
        partitions: Vec::new(),
        rollup_nanos: header.rollup_nanos,
    };
    for (p, symbols) in parts {
        if let Some((min, max)) = p.time_range() {
            meta.min_time_nanos = meta.min_time_nanos.min(min);
            meta.max_time_nanos = meta.max_time_nanos.max(max);
        }
        meta.partitions.push(encode_partition(&mut out, 0, p, symbols));
    }
    out.extend_from_slice(&footer_bytes(&meta));
    (out, meta)
}

/// Appends a partition's sections to `out`, which starts at object offset
/// `base`; returns the partition's footer entry. `symbols` is the symbol
/// section already compressed, if it was; else it is encoded from `p.db`.
pub fn encode_partition(out: &mut Vec<u8>, base: u64, p: &Partition, symbols: Option<&[u8]>) -> pb::PartitionMeta {
    let rows: Vec<pb::Samples> = p.rows.iter().map(|r| codec::samples_to_pb(&r.samples, &r.labels)).collect();
    let symbols = match symbols {
        Some(compressed) => write_compressed(out, base, compressed),
        None => write_section(out, base, &codec::symbols_to_pb(&p.db)),
    };
    pb::PartitionMeta {
        service: p.service.clone(),
        series: p.series.iter().map(series_to_pb).collect(),
        symbols: Some(symbols),
        index: Some(write_section(out, base, &codec::index_to_pb(&p.rows))),
        samples: Some(write_section(out, base, &pb::RowSamples { rows })),
        rollups: Some(write_section(out, base, &codec::rollups_to_pb(&p.rollups))),
        profiles: p.rows.len() as u64,
        samples_count: p.rows.iter().map(|r| r.samples.values.len() as u64).sum(),
        dictionary_id: p.dictionary.map_or(0, |d| d.id),
        dictionary_stacks: p.dictionary.map_or(0, |d| d.stacks),
    }
}

fn series_to_pb(s: &crate::partition::SeriesInfo) -> pb::SeriesMeta {
    pb::SeriesMeta {
        labels: s.labels.iter().map(|(n, v)| pb::LabelPair { name: n.clone(), value: v.clone() }).collect(),
        min_time_nanos: s.min_time_nanos,
        max_time_nanos: s.max_time_nanos,
        profiles: s.profiles,
        total: s.total,
    }
}
