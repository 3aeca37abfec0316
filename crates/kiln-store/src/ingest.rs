//! What ingestion hands the store, and the head: profiles accepted but not
//! yet written, grouped by tenant and partition, with their waiters, over
//! symbol dictionaries kept across segments (`dict.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use kiln_model::Profile;
use tokio::sync::oneshot;

use crate::dict::{EncodedSymbols, ServiceDict};
use crate::error::Result;
use crate::labels::{self, Labels, SERVICE_NAME, UNKNOWN_SERVICE};
use crate::partition::{Dictionary, Partition, Row, SampleLabel, SeriesInfo};

/// Sample labels kept per sample for span-profile queries.
pub const SAMPLE_LABELS_KEPT: [&str; 3] = ["span_id", "trace_id", "profile_id"];

/// One series of an ingested profile: its labels and which sample type of
/// the profile it carries.
#[derive(Debug, Clone)]
pub struct IngestSeries {
    pub labels: Labels,
    pub sample_type: usize,
}

/// One profile as ingestion normalised it: shared by its series (one per
/// sample type).
#[derive(Debug, Clone)]
pub struct IngestProfile {
    pub id: u128,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub profile: Arc<Profile>,
    pub series: Vec<IngestSeries>,
}

#[derive(Default)]
struct HeadPartition {
    partition: Partition,
    series_index: HashMap<Labels, u32>,
    /// Sample-label values of this segment (span and trace ids): kept out
    /// of the dictionary, appended to its strings in the segment only.
    extra_strings: Vec<String>,
    extra_index: HashMap<String, u32>,
}

#[derive(Default)]
struct HeadTenant {
    partitions: HashMap<String, HeadPartition>,
    waiters: Vec<oneshot::Sender<Result<()>>>,
}

/// Accepted profiles waiting for the next segment, and the symbol
/// dictionaries kept across segments.
#[derive(Default)]
pub struct Head {
    tenants: HashMap<String, HeadTenant>,
    /// tenant -> service -> dictionary
    dicts: HashMap<String, HashMap<String, ServiceDict>>,
    /// Rough bytes held by rows waiting for their segment.
    bytes: usize,
}

/// A tenant's share of a taken head: each partition with its symbol
/// section.
pub struct TenantBatch {
    pub tenant: String,
    pub partitions: Vec<(Partition, Arc<EncodedSymbols>)>,
    pub waiters: Vec<oneshot::Sender<Result<()>>>,
}

/// Rough memory of one stored row beyond its samples.
const ROW_BYTES: usize = 160;

impl Head {
    /// Adds profiles and returns the receiver that learns when they are
    /// durable.
    pub fn add(&mut self, tenant: &str, profiles: &[IngestProfile]) -> oneshot::Receiver<Result<()>> {
        let t = self.tenants.entry(tenant.to_owned()).or_default();
        let dicts = self.dicts.entry(tenant.to_owned()).or_default();
        for p in profiles {
            self.bytes += add_profile(t, dicts, p);
        }
        let (tx, rx) = oneshot::channel();
        t.waiters.push(tx);
        rx
    }

    /// Rough bytes held by rows not yet written.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Takes everything held, leaving the head empty but for its
    /// dictionaries; drops dictionaries that are idle or too large.
    pub fn take(&mut self) -> Vec<TenantBatch> {
        self.bytes = 0;
        let mut batches = Vec::new();
        for (tenant, t) in std::mem::take(&mut self.tenants) {
            let dicts = self.dicts.entry(tenant.clone()).or_default();
            let partitions = t.partitions.into_values().map(|hp| segment_partition(hp, dicts)).collect();
            batches.push(TenantBatch { tenant, partitions, waiters: t.waiters });
        }
        let now = Instant::now();
        for dicts in self.dicts.values_mut() {
            dicts.retain(|_, d| !d.retired(now));
        }
        self.dicts.retain(|_, d| !d.is_empty());
        batches
    }
}

/// A head partition as its segment writes it: rows sorted, sample-label
/// values renumbered after the dictionary's strings, and the symbols.
fn segment_partition(
    mut hp: HeadPartition,
    dicts: &mut HashMap<String, ServiceDict>,
) -> (Partition, Arc<EncodedSymbols>) {
    let dict = dicts.entry(hp.partition.service.clone()).or_default();
    let base = dict.db.symbols.tables.strings.len() as u32;
    for row in &mut hp.partition.rows {
        for l in &mut row.labels {
            l.value += base;
        }
    }
    hp.partition.finish();
    hp.partition.dictionary = Some(Dictionary { id: dict.id, stacks: dict.db.stacks.len() as u64 });
    let symbols = dict.section(&hp.extra_strings);
    (hp.partition, symbols)
}

/// Adds one profile; returns the bytes its rows hold.
fn add_profile(t: &mut HeadTenant, dicts: &mut HashMap<String, ServiceDict>, p: &IngestProfile) -> usize {
    let mut by_service: HashMap<&str, Vec<&IngestSeries>> = HashMap::new();
    for s in &p.series {
        by_service.entry(labels::get(&s.labels, SERVICE_NAME).unwrap_or(UNKNOWN_SERVICE)).or_default().push(s);
    }
    let mut bytes = 0;
    for (service, series) in by_service {
        let hp = t.partitions.entry(service.to_owned()).or_default();
        hp.partition.service = service.to_owned();
        let dict = dicts.entry(service.to_owned()).or_default();
        dict.touch();
        bytes += add_to_partition(hp, dict, p, &series);
    }
    bytes
}

fn add_to_partition(
    hp: &mut HeadPartition,
    dict: &mut ServiceDict,
    p: &IngestProfile,
    series: &[&IngestSeries],
) -> usize {
    let types: Vec<usize> = series.iter().map(|s| s.sample_type).collect();
    let stored = dict.db.add_profile_types(&p.profile, &types);
    let mut bytes = 0;
    for (s, (samples, origin)) in series.iter().zip(stored) {
        let series_idx = series_index(hp, &s.labels);
        let labels = sample_labels(hp, dict, &p.profile, &origin);
        bytes += ROW_BYTES + samples.stack_ids.len() * 12 + labels.len() * 12;
        hp.partition.rows.push(Row {
            series: series_idx,
            time_nanos: p.time_nanos,
            duration_nanos: p.duration_nanos,
            id: p.id,
            total: samples.total(),
            samples,
            labels,
        });
    }
    bytes
}

fn series_index(hp: &mut HeadPartition, labels: &Labels) -> u32 {
    if let Some(&i) = hp.series_index.get(labels) {
        return i;
    }
    let i = hp.partition.series.len() as u32;
    hp.partition.series.push(SeriesInfo {
        labels: labels.clone(),
        min_time_nanos: 0,
        max_time_nanos: 0,
        profiles: 0,
        total: 0,
    });
    hp.series_index.insert(labels.clone(), i);
    i
}

/// The kept string labels of each stored sample: keys as dictionary string
/// ids, values as indices into the segment's extra strings (renumbered when
/// the segment is taken).
fn sample_labels(
    hp: &mut HeadPartition,
    dict: &mut ServiceDict,
    profile: &Profile,
    origin: &[u32],
) -> Vec<SampleLabel> {
    let mut out = Vec::new();
    for (i, &o) in origin.iter().enumerate() {
        for l in &profile.samples[o as usize].labels {
            let key = profile.str(l.key);
            if l.str == 0 || !SAMPLE_LABELS_KEPT.contains(&key) {
                continue;
            }
            let key = if key == "profile_id" { "span_id" } else { key };
            let key = dict.db.symbols.intern(key);
            let value = extra_string(hp, profile.str(l.str));
            out.push(SampleLabel { sample: i as u32, key, value });
        }
    }
    out
}

fn extra_string(hp: &mut HeadPartition, s: &str) -> u32 {
    if let Some(&i) = hp.extra_index.get(s) {
        return i;
    }
    let i = hp.extra_strings.len() as u32;
    hp.extra_strings.push(s.to_owned());
    hp.extra_index.insert(s.to_owned(), i);
    i
}
