//! Decoding one partition of a block, whole or only the sections a read
//! needs, and a whole block (footer and every partition).

use std::sync::Arc;

use bytes::Bytes;
use kiln_model::stacks::SymbolDb;

use crate::codec;
use crate::error::{Error, Result};
use crate::format::{decode_meta, decode_section, section_bytes};
use crate::partition::{Dictionary, Partition, Row, SeriesInfo};
use crate::pb;
use crate::symbol_cache::SymbolCache;

/// Which sections of a partition a read decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The row index alone: rows without samples, no symbols (totals, id
    /// lookups).
    Index,
    /// Symbols, index and samples: raw rows.
    Rows,
    /// Symbols and rollups, no rows.
    Rollups,
    /// Everything (compaction).
    All,
}

impl Part {
    /// The sections this part reads, in footer order: symbols, index,
    /// samples, rollups.
    pub fn sections(self) -> [bool; 4] {
        match self {
            Part::Index => [false, true, false, false],
            Part::Rows => [true, true, true, false],
            Part::Rollups => [true, false, false, true],
            Part::All => [true, true, true, true],
        }
    }
}

pub fn series_from_pb(s: &pb::SeriesMeta) -> SeriesInfo {
    SeriesInfo {
        labels: s.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect(),
        min_time_nanos: s.min_time_nanos,
        max_time_nanos: s.max_time_nanos,
        profiles: s.profiles,
        total: s.total,
    }
}

/// The partition's four sections in footer order.
pub fn all_sections(pm: &pb::PartitionMeta) -> [Option<pb::Section>; 4] {
    [pm.symbols, pm.index, pm.samples, pm.rollups]
}

const NAMES: [&str; 4] = ["symbols", "index", "samples", "rollups"];

/// Decodes a partition from a whole object held in memory.
pub fn decode_partition(bytes: &[u8], pm: &pb::PartitionMeta, part: Part) -> Result<Partition> {
    decode_parts(pm, pm.series.iter().map(series_from_pb).collect(), part, None, |s| section_bytes(bytes, s))
}

/// Decodes a partition from a whole object held in memory, its symbol
/// table shared with every partition whose `symbols` section has the same
/// bytes.
pub fn decode_partition_shared(
    bytes: &[u8],
    pm: &pb::PartitionMeta,
    part: Part,
    symbols: &SymbolCache,
) -> Result<Partition> {
    decode_shared(pm, pm.series.iter().map(series_from_pb).collect(), part, symbols, |s| section_bytes(bytes, s))
}

/// [`decode_parts`] with the symbol table taken from `cache` when a
/// byte-identical section was decoded before, and remembered there when
/// not.
pub fn decode_shared<'a>(
    pm: &pb::PartitionMeta,
    series: Vec<SeriesInfo>,
    part: Part,
    cache: &SymbolCache,
    bytes_of: impl Fn(&pb::Section) -> Result<&'a [u8]>,
) -> Result<Partition> {
    let section = match pm.symbols.filter(|_| part.sections()[0]) {
        Some(s) => Some((s.crc32, bytes_of(&s)?)),
        None => None,
    };
    let known = section.and_then(|(crc, b)| cache.get(crc, b));
    let decoded_here = known.is_none();
    let p = decode_parts(pm, series, part, known, bytes_of)?;
    if let (Some((crc, b)), true) = (section, decoded_here) {
        cache.insert(crc, Bytes::copy_from_slice(b), &p.db);
    }
    Ok(p)
}

/// Decodes a whole block from its bytes: footer and every partition.
pub fn decode_block(bytes: &[u8]) -> Result<(pb::BlockMeta, Vec<Partition>)> {
    let meta = decode_meta(bytes)?;
    let mut partitions = Vec::with_capacity(meta.partitions.len());
    for pm in &meta.partitions {
        partitions.push(decode_partition(bytes, pm, Part::All)?);
    }
    Ok((meta, partitions))
}

/// Decodes the sections `part` needs; `series` is the partition's series
/// (from the footer), `symbols` the symbol tables when they are already
/// decoded (the `symbols` section is then not read), and `bytes_of` gives
/// a section's compressed bytes.
pub fn decode_parts<'a>(
    pm: &pb::PartitionMeta,
    series: Vec<SeriesInfo>,
    part: Part,
    symbols: Option<Arc<SymbolDb>>,
    bytes_of: impl Fn(&pb::Section) -> Result<&'a [u8]>,
) -> Result<Partition> {
    let mut wanted = part.sections();
    wanted[0] &= symbols.is_none();
    let sections = all_sections(pm);
    let get = |i: usize| -> Result<Option<&'a [u8]>> {
        if !wanted[i] {
            return Ok(None);
        }
        let s = sections[i]
            .as_ref()
            .ok_or_else(|| Error::corrupt(format!("partition {} has no {} section", pm.service, NAMES[i])))?;
        bytes_of(s).map(Some)
    };
    let (index, samples, rollups) = (get(1)?, get(2)?, get(3)?);
    let sec = |i: usize| sections[i].expect("a fetched section exists");
    let (known, symbols) = (symbols, get(0)?);
    let db = match (known, symbols) {
        (Some(db), _) => db,
        (None, Some(b)) => Arc::new(codec::symbols_from_pb(decode_section(b, &sec(0), "symbols")?)?),
        (None, None) => Arc::default(),
    };
    let mut rows = match index {
        Some(b) => codec::index_from_pb(decode_section(b, &sec(1), "index")?, series.len())?
            .iter()
            .map(|e| Row {
                series: e.series,
                time_nanos: e.time_nanos,
                duration_nanos: e.duration_nanos,
                id: e.id,
                total: e.total,
                samples: Default::default(),
                labels: Vec::new(),
            })
            .collect(),
        None => Vec::new(),
    };
    if let Some(b) = samples {
        let msg: pb::RowSamples = decode_section(b, &sec(2), "samples")?;
        if msg.rows.len() != rows.len() {
            return Err(Error::corrupt("samples section and index differ in row count"));
        }
        let n_strings = db.symbols.tables.strings.len();
        for (row, samples) in rows.iter_mut().zip(msg.rows) {
            (row.samples, row.labels) = codec::samples_from_pb(samples, db.stacks.len(), n_strings)?;
        }
    }
    let rollups = match rollups {
        Some(b) => codec::rollups_from_pb(decode_section(b, &sec(3), "rollups")?, series.len(), db.stacks.len())?,
        None => Vec::new(),
    };
    let dictionary =
        (pm.dictionary_id != 0).then_some(Dictionary { id: pm.dictionary_id, stacks: pm.dictionary_stacks });
    Ok(Partition { service: pm.service.clone(), db, series, rows, rollups, dictionary })
}
