//! Reading single profiles back by id, as pprof-shaped profiles.

use kiln_model::{Label, Profile, Sample, ValueType};

use crate::error::Result;
use crate::labels::{get, Labels};
use crate::objects::ObjectInfo;
use crate::partition::{Partition, Row};
use crate::read_partition::Part;
use crate::read_scan::OnGone;
use crate::store::Store;

impl Store {
    /// Every series' profile with this id (one per sample type ingested
    /// together), with its labels. Row indexes are searched, and the
    /// profiles built, on the blocking pool.
    pub async fn profile_by_id(&self, tenant: &str, id: u128) -> Result<Vec<(Labels, Profile)>> {
        self.replanning(|| self.profile_by_id_once(tenant, id)).await
    }

    async fn profile_by_id_once(&self, tenant: &str, id: u128) -> Result<Vec<(Labels, Profile)>> {
        let objects = self.inner.catalog.read().expect("catalog lock").objects(tenant);
        let with_rows: Vec<(ObjectInfo, usize)> = objects
            .into_iter()
            .flat_map(|o| {
                let partitions = o.meta.partitions.iter().enumerate().filter(|(_, pm)| pm.profiles > 0);
                partitions.map(|(pi, _)| (o.clone(), pi)).collect::<Vec<_>>()
            })
            .collect();
        let holding = move |found: &mut Vec<(ObjectInfo, usize)>, at: &(ObjectInfo, usize), index: &Partition| {
            if index.rows.iter().any(|r| r.id == id) {
                found.push(at.clone());
            }
        };
        let found = self.scan(with_rows, Part::Index, OnGone::Fail, Vec::new(), holding, |found| found).await?;
        let profiles = move |out: &mut Vec<(Labels, Profile)>, _: &(ObjectInfo, usize), p: &Partition| {
            for row in p.rows.iter().filter(|r| r.id == id) {
                let labels = p.series[row.series as usize].labels.clone();
                out.push((labels.clone(), row_profile(p, row, &labels)));
            }
        };
        self.scan(found, Part::Rows, OnGone::Fail, Vec::new(), profiles, |out| out).await
    }
}

/// A row as a profile over its partition's symbol tables. The sample and
/// period types come from the series' `__type__`, `__unit__`,
/// `__period_type__` and `__period_unit__` labels when present.
fn row_profile(p: &Partition, row: &Row, labels: &Labels) -> Profile {
    let mut prof = p.db.symbols.tables.clone();
    let mut vt = |ty: &str, unit: &str, dty: &str, dunit: &str| {
        let (t, u) = (get(labels, ty).unwrap_or(dty), get(labels, unit).unwrap_or(dunit));
        ValueType { ty: prof.intern_str(t), unit: prof.intern_str(u) }
    };
    let sample_type = vt("__type__", "__unit__", "samples", "count");
    let period_type = vt("__period_type__", "__period_unit__", "", "");
    prof.sample_types = vec![sample_type];
    prof.period_type = period_type;
    prof.time_nanos = row.time_nanos;
    prof.duration_nanos = row.duration_nanos;
    prof.samples = row
        .samples
        .stack_ids
        .iter()
        .zip(&row.samples.values)
        .enumerate()
        .map(|(i, (&stack, &v))| Sample {
            locations: p.db.leaf_first(stack),
            values: vec![v],
            labels: row
                .labels
                .iter()
                .filter(|l| l.sample as usize == i)
                .map(|l| Label { key: l.key, str: l.value, num: 0, num_unit: 0 })
                .collect(),
        })
        .collect();
    prof
}
