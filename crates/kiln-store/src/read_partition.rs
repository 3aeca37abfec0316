//! Decoding one partition of a block, whole or only the sections a read
//! needs, and a whole block (footer and every partition).

use kiln_model::stacks::SymbolDb;

use crate::codec;
use crate::error::{Error, Result};
use crate::format::{decode_meta, decode_section, section_bytes};
use crate::partition::{Partition, Row, SeriesInfo};
use crate::pb;

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
    decode_parts(pm, pm.series.iter().map(series_from_pb).collect(), part, |s| section_bytes(bytes, s))
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
/// (from the footer) and `bytes_of` gives a section's compressed bytes.
pub fn decode_parts<'a>(
    pm: &pb::PartitionMeta,
    series: Vec<SeriesInfo>,
    part: Part,
    bytes_of: impl Fn(&pb::Section) -> Result<&'a [u8]>,
) -> Result<Partition> {
    let wanted = part.sections();
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
    let (symbols, index, samples, rollups) = (get(0)?, get(1)?, get(2)?, get(3)?);
    let sec = |i: usize| sections[i].expect("a fetched section exists");
    let db = match symbols {
        Some(b) => codec::symbols_from_pb(decode_section(b, &sec(0), "symbols")?)?,
        None => SymbolDb::default(),
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
    Ok(Partition { service: pm.service.clone(), db, series, rows, rollups })
}
