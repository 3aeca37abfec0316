//! Partition contents <-> the block format's protobuf messages.

use kiln_model::pprof;
use kiln_model::stacks::{StackSamples, StackTable, SymbolDb};
use kiln_model::symbols::Symbols;

use crate::error::{Error, Result};
use crate::partition::{Rollup, Row, RowEntry, SampleLabel};
use crate::pb;

pub fn symbols_to_pb(db: &SymbolDb) -> pb::Symbols {
    let (parent, location) = db.stacks.parts();
    pb::Symbols {
        pprof: pprof::encode(&db.symbols.tables),
        stack_parent_delta: parent.iter().enumerate().skip(1).map(|(i, &p)| i as u32 - p).collect(),
        stack_location: location[1..].to_vec(),
    }
}

pub fn symbols_from_pb(msg: pb::Symbols) -> Result<SymbolDb> {
    let tables = pprof::decode(&msg.pprof).map_err(|e| Error::corrupt(format!("symbols: {e}")))?;
    if msg.stack_parent_delta.len() != msg.stack_location.len() {
        return Err(Error::corrupt("symbols: stack columns differ in length"));
    }
    let mut parent = vec![0u32];
    for (i, &d) in msg.stack_parent_delta.iter().enumerate() {
        let id = i as u32 + 1;
        parent.push(id.checked_sub(d).ok_or_else(|| Error::corrupt("symbols: stack parent out of range"))?);
    }
    let mut location = vec![u64::MAX];
    location.extend(msg.stack_location);
    if location[1..].iter().any(|&l| l as usize >= tables.locations.len()) {
        return Err(Error::corrupt("symbols: stack location out of range"));
    }
    let stacks = StackTable::from_parts(parent, location).ok_or_else(|| Error::corrupt("symbols: bad stack table"))?;
    Ok(SymbolDb { symbols: Symbols::from_tables(tables), stacks })
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.min(i64::MAX as u64) as i64
}

/// Samples sorted by stack id (labels follow their samples).
pub fn samples_to_pb(s: &StackSamples, labels: &[SampleLabel]) -> pb::Samples {
    let mut order: Vec<usize> = (0..s.stack_ids.len()).collect();
    order.sort_by_key(|&i| s.stack_ids[i]);
    let mut new_index = vec![0u32; order.len()];
    for (to, &from) in order.iter().enumerate() {
        new_index[from] = to as u32;
    }
    let g = s.values.iter().fold(0, |g, &v| gcd(g, v)).max(1);
    let mut prev = 0u32;
    let stack_delta = order
        .iter()
        .map(|&i| {
            let id = s.stack_ids[i];
            let d = id - prev;
            prev = id;
            d
        })
        .collect();
    pb::Samples {
        stack_delta,
        value: order.iter().map(|&i| s.values[i] / g).collect(),
        gcd: g,
        labels: labels
            .iter()
            .map(|l| pb::SampleLabel { sample: new_index[l.sample as usize], key: l.key, value: l.value })
            .collect(),
    }
}

pub fn samples_from_pb(
    msg: pb::Samples,
    n_stacks: usize,
    n_strings: usize,
) -> Result<(StackSamples, Vec<SampleLabel>)> {
    if msg.stack_delta.len() != msg.value.len() || msg.gcd < 1 {
        return Err(Error::corrupt("samples: columns differ in length or bad gcd"));
    }
    let mut id = 0u32;
    let mut stack_ids = Vec::with_capacity(msg.stack_delta.len());
    for d in msg.stack_delta {
        id = id
            .checked_add(d)
            .filter(|&i| (i as usize) < n_stacks)
            .ok_or_else(|| Error::corrupt("samples: stack id out of range"))?;
        stack_ids.push(id);
    }
    let values = msg.value.iter().map(|&v| v.saturating_mul(msg.gcd)).collect();
    let n = stack_ids.len();
    let labels = msg
        .labels
        .into_iter()
        .map(|l| {
            let ok = (l.sample as usize) < n && (l.key as usize) < n_strings && (l.value as usize) < n_strings;
            ok.then_some(SampleLabel { sample: l.sample, key: l.key, value: l.value })
                .ok_or_else(|| Error::corrupt("samples: label out of range"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((StackSamples { stack_ids, values }, labels))
}

pub fn index_to_pb(rows: &[Row]) -> pb::RowIndex {
    let mut prev = 0i64;
    pb::RowIndex {
        series: rows.iter().map(|r| r.series).collect(),
        time_delta_nanos: rows
            .iter()
            .map(|r| {
                let d = r.time_nanos.wrapping_sub(prev);
                prev = r.time_nanos;
                d
            })
            .collect(),
        duration_nanos: rows.iter().map(|r| r.duration_nanos).collect(),
        id: rows.iter().map(|r| r.id.to_be_bytes().to_vec()).collect(),
        total: rows.iter().map(|r| r.total).collect(),
    }
}

pub fn index_from_pb(msg: pb::RowIndex, n_series: usize) -> Result<Vec<RowEntry>> {
    let n = msg.series.len();
    let same = [msg.time_delta_nanos.len(), msg.duration_nanos.len(), msg.id.len(), msg.total.len()];
    if same.iter().any(|&l| l != n) {
        return Err(Error::corrupt("index: columns differ in length"));
    }
    let mut time = 0i64;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        time = time.wrapping_add(msg.time_delta_nanos[i]);
        let id: [u8; 16] = msg.id[i].as_slice().try_into().map_err(|_| Error::corrupt("index: id is not 16 bytes"))?;
        if msg.series[i] as usize >= n_series {
            return Err(Error::corrupt("index: series out of range"));
        }
        out.push(RowEntry {
            series: msg.series[i],
            time_nanos: time,
            duration_nanos: msg.duration_nanos[i],
            id: u128::from_be_bytes(id),
            total: msg.total[i],
        });
    }
    Ok(out)
}

pub fn rollups_to_pb(rollups: &[Rollup]) -> pb::Rollups {
    pb::Rollups {
        rollups: rollups
            .iter()
            .map(|r| pb::Rollup {
                series: r.series,
                start_nanos: r.start_nanos,
                profiles: r.profiles,
                samples: Some(samples_to_pb(&r.samples, &[])),
            })
            .collect(),
    }
}

pub fn rollups_from_pb(msg: pb::Rollups, n_series: usize, n_stacks: usize) -> Result<Vec<Rollup>> {
    msg.rollups
        .into_iter()
        .map(|r| {
            if r.series as usize >= n_series {
                return Err(Error::corrupt("rollups: series out of range"));
            }
            let (samples, _) = samples_from_pb(r.samples.unwrap_or_default(), n_stacks, 0)?;
            Ok(Rollup { series: r.series, start_nanos: r.start_nanos, profiles: r.profiles, samples })
        })
        .collect()
}
