//! What ingestion hands the store, and the head: profiles accepted but not
//! yet written, grouped by tenant and partition, with their waiters.

use std::collections::HashMap;
use std::sync::Arc;

use kiln_model::Profile;
use tokio::sync::oneshot;

use crate::error::Result;
use crate::labels::{self, Labels, SERVICE_NAME, UNKNOWN_SERVICE};
use crate::partition::{Partition, Row, SampleLabel, SeriesInfo};

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
}

#[derive(Default)]
struct HeadTenant {
    partitions: HashMap<String, HeadPartition>,
    waiters: Vec<oneshot::Sender<Result<()>>>,
}

/// Accepted profiles waiting for the next segment.
#[derive(Default)]
pub struct Head {
    tenants: HashMap<String, HeadTenant>,
}

/// A tenant's share of a taken head.
pub struct TenantBatch {
    pub tenant: String,
    pub partitions: Vec<Partition>,
    pub waiters: Vec<oneshot::Sender<Result<()>>>,
}

impl Head {
    /// Adds profiles and returns the receiver that learns when they are
    /// durable.
    pub fn add(&mut self, tenant: &str, profiles: &[IngestProfile]) -> oneshot::Receiver<Result<()>> {
        let t = self.tenants.entry(tenant.to_owned()).or_default();
        for p in profiles {
            add_profile(t, p);
        }
        let (tx, rx) = oneshot::channel();
        t.waiters.push(tx);
        rx
    }

    /// Takes everything held, leaving the head empty.
    pub fn take(&mut self) -> Vec<TenantBatch> {
        std::mem::take(&mut self.tenants)
            .into_iter()
            .map(|(tenant, t)| TenantBatch {
                tenant,
                partitions: t
                    .partitions
                    .into_values()
                    .map(|mut hp| {
                        hp.partition.finish();
                        hp.partition
                    })
                    .collect(),
                waiters: t.waiters,
            })
            .collect()
    }
}

fn add_profile(t: &mut HeadTenant, p: &IngestProfile) {
    let mut by_service: HashMap<&str, Vec<&IngestSeries>> = HashMap::new();
    for s in &p.series {
        by_service.entry(labels::get(&s.labels, SERVICE_NAME).unwrap_or(UNKNOWN_SERVICE)).or_default().push(s);
    }
    for (service, series) in by_service {
        let hp = t.partitions.entry(service.to_owned()).or_default();
        hp.partition.service = service.to_owned();
        add_to_partition(hp, p, &series);
    }
}

fn add_to_partition(hp: &mut HeadPartition, p: &IngestProfile, series: &[&IngestSeries]) {
    let types: Vec<usize> = series.iter().map(|s| s.sample_type).collect();
    let stored = hp.partition.db.add_profile_types(&p.profile, &types);
    for (s, (samples, origin)) in series.iter().zip(stored) {
        let series_idx = series_index(hp, &s.labels);
        let labels = sample_labels(&mut hp.partition, &p.profile, &origin);
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

/// The kept string labels of each stored sample, as partition string ids.
fn sample_labels(partition: &mut Partition, profile: &Profile, origin: &[u32]) -> Vec<SampleLabel> {
    let mut out = Vec::new();
    for (i, &o) in origin.iter().enumerate() {
        for l in &profile.samples[o as usize].labels {
            let key = profile.str(l.key);
            if l.str == 0 || !SAMPLE_LABELS_KEPT.contains(&key) {
                continue;
            }
            let key = if key == "profile_id" { "span_id" } else { key };
            let symbols = &mut partition.db.symbols;
            let (key, value) = (symbols.intern(key), symbols.intern(profile.str(l.str)));
            out.push(SampleLabel { sample: i as u32, key, value });
        }
    }
    out
}
