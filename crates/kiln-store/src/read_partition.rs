//! Decoding one partition of a block from the object's bytes.

use crate::codec;
use crate::error::{Error, Result};
use crate::format::{decode_section, section_bytes};
use crate::partition::{Partition, Row, SeriesInfo};
use crate::pb;

pub fn series_from_pb(s: &pb::SeriesMeta) -> SeriesInfo {
    SeriesInfo {
        labels: s.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect(),
        min_time_nanos: s.min_time_nanos,
        max_time_nanos: s.max_time_nanos,
        profiles: s.profiles,
        total: s.total,
    }
}

fn section(
    pm: &pb::PartitionMeta,
    which: fn(&pb::PartitionMeta) -> &Option<pb::Section>,
    what: &str,
) -> Result<pb::Section> {
    (*which(pm)).ok_or_else(|| Error::corrupt(format!("partition {} has no {what} section", pm.service)))
}

/// Decodes a partition; `with_samples` false leaves rows' samples empty
/// (enough for listing, rollup-only reads and id lookups).
pub fn decode_partition(bytes: &[u8], pm: &pb::PartitionMeta, with_samples: bool) -> Result<Partition> {
    let s = section(pm, |m| &m.symbols, "symbols")?;
    let db = codec::symbols_from_pb(decode_section(section_bytes(bytes, &s)?, &s, "symbols")?)?;
    let series: Vec<SeriesInfo> = pm.series.iter().map(series_from_pb).collect();
    let s = section(pm, |m| &m.index, "index")?;
    let index = codec::index_from_pb(decode_section(section_bytes(bytes, &s)?, &s, "index")?, series.len())?;
    let s = section(pm, |m| &m.rollups, "rollups")?;
    let rollups = codec::rollups_from_pb(
        decode_section(section_bytes(bytes, &s)?, &s, "rollups")?,
        series.len(),
        db.stacks.len(),
    )?;
    let mut rows: Vec<Row> = index
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
        .collect();
    if with_samples {
        let s = section(pm, |m| &m.samples, "samples")?;
        let msg: pb::RowSamples = decode_section(section_bytes(bytes, &s)?, &s, "samples")?;
        if msg.rows.len() != rows.len() {
            return Err(Error::corrupt("samples section and index differ in row count"));
        }
        let n_strings = db.symbols.tables.strings.len();
        for (row, samples) in rows.iter_mut().zip(msg.rows) {
            (row.samples, row.labels) = codec::samples_from_pb(samples, db.stacks.len(), n_strings)?;
        }
    }
    Ok(Partition { service: pm.service.clone(), db, series, rows, rollups })
}
