//! The block object's byte layout (format version 1):
//!
//! ```text
//! "KILNBLK1"                      8 bytes
//! section ...                     zstd-compressed protobuf messages
//! footer                          protobuf BlockMeta (proto/block.proto)
//! footer length                   u32 little endian
//! footer CRC-32                   u32 little endian
//! "KILNBLK1"                      8 bytes
//! ```
//!
//! Every section's CRC-32 is in the footer, so a damaged section is found
//! when read and skipped without losing the rest of the object.

use std::io::Read;
use std::sync::Arc;

use prost::Message;

use crate::codec;
use crate::dict::EncodedSymbols;
use crate::error::{Error, ErrorKind, Result};
use crate::partition::Partition;
use crate::pb;

pub const MAGIC: &[u8; 8] = b"KILNBLK1";
/// The version this build writes; readers refuse newer ones.
pub const FORMAT_VERSION: u32 = 1;
/// Footer length, footer CRC and the closing magic.
pub const TRAILER_LEN: usize = 16;
/// Bound on one decompressed section: refuses a damaged or hostile length.
const MAX_SECTION_BYTES: u64 = 2 << 30;
const ZSTD_LEVEL: i32 = 3;

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

/// The footer and trailer that end a block.
pub fn footer_bytes(meta: &pb::BlockMeta) -> Vec<u8> {
    let mut out = meta.encode_to_vec();
    let (len, crc) = (out.len() as u32, crc32fast::hash(&out));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(MAGIC);
    out
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

/// Appends one message as a compressed section to `out` (at object offset
/// `base`).
pub fn write_section<M: Message>(out: &mut Vec<u8>, base: u64, msg: &M) -> pb::Section {
    write_compressed(out, base, &compress(&msg.encode_to_vec()))
}

/// The compression every section uses.
pub fn compress(raw: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(raw, ZSTD_LEVEL).expect("zstd compresses in memory")
}

/// Appends an already compressed section.
fn write_compressed(out: &mut Vec<u8>, base: u64, compressed: &[u8]) -> pb::Section {
    let section = pb::Section {
        offset: base + out.len() as u64,
        length: compressed.len() as u64,
        crc32: crc32fast::hash(compressed),
    };
    out.extend_from_slice(compressed);
    section
}

/// Reads the trailer (the object's last [`TRAILER_LEN`] bytes): the
/// footer's length and CRC.
pub fn decode_trailer(tail: &[u8]) -> Result<(u64, u32)> {
    if tail.len() != TRAILER_LEN || &tail[8..] != MAGIC {
        return Err(Error::corrupt("not a Kiln block: bad closing magic"));
    }
    let len = u32::from_le_bytes(tail[0..4].try_into().expect("4 bytes"));
    let crc = u32::from_le_bytes(tail[4..8].try_into().expect("4 bytes"));
    Ok((u64::from(len), crc))
}

/// Checks and decodes the footer.
pub fn decode_footer(footer: &[u8], crc: u32) -> Result<pb::BlockMeta> {
    if crc32fast::hash(footer) != crc {
        return Err(Error::corrupt("block footer checksum mismatch"));
    }
    let meta = pb::BlockMeta::decode(footer).map_err(|e| Error::corrupt(format!("block footer: {e}")))?;
    if meta.format_version > FORMAT_VERSION || meta.format_version == 0 {
        return Err(Error::new(
            ErrorKind::UnsupportedVersion,
            format!(
                "block {} has format version {}; this build reads up to {FORMAT_VERSION}",
                meta.id, meta.format_version
            ),
        ));
    }
    Ok(meta)
}

/// Checks, decompresses and decodes one section's bytes.
pub fn decode_section<M: Message + Default>(bytes: &[u8], section: &pb::Section, what: &str) -> Result<M> {
    if crc32fast::hash(bytes) != section.crc32 {
        return Err(Error::corrupt(format!("{what} section checksum mismatch")));
    }
    let mut raw = Vec::new();
    zstd::stream::read::Decoder::new(bytes)
        .and_then(|d| d.take(MAX_SECTION_BYTES).read_to_end(&mut raw))
        .map_err(|e| Error::corrupt(format!("{what} section: {e}")))?;
    M::decode(raw.as_slice()).map_err(|e| Error::corrupt(format!("{what} section: {e}")))
}

/// Decodes a whole block from its bytes: footer and every partition.
pub fn decode_block(bytes: &[u8]) -> Result<(pb::BlockMeta, Vec<Partition>)> {
    let meta = decode_meta(bytes)?;
    let mut partitions = Vec::with_capacity(meta.partitions.len());
    for pm in &meta.partitions {
        partitions.push(crate::read_partition::decode_partition(bytes, pm, crate::read_partition::Part::All)?);
    }
    Ok((meta, partitions))
}

/// Decodes the footer of a block held whole in memory.
pub fn decode_meta(bytes: &[u8]) -> Result<pb::BlockMeta> {
    if bytes.len() < MAGIC.len() + TRAILER_LEN || &bytes[..8] != MAGIC {
        return Err(Error::corrupt("not a Kiln block: bad opening magic or too short"));
    }
    let (len, crc) = decode_trailer(&bytes[bytes.len() - TRAILER_LEN..])?;
    let end = bytes.len() - TRAILER_LEN;
    let start = end
        .checked_sub(len as usize)
        .filter(|&s| s >= 8)
        .ok_or_else(|| Error::corrupt("footer length out of range"))?;
    decode_footer(&bytes[start..end], crc)
}

/// The bytes of a section within a whole object.
pub fn section_bytes<'a>(bytes: &'a [u8], s: &pb::Section) -> Result<&'a [u8]> {
    let start = usize::try_from(s.offset).ok();
    let end = start.and_then(|st| st.checked_add(usize::try_from(s.length).ok()?));
    match (start, end) {
        (Some(st), Some(e)) if e <= bytes.len() => Ok(&bytes[st..e]),
        _ => Err(Error::corrupt("section lies outside the object")),
    }
}
