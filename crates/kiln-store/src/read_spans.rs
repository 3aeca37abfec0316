//! Merging only the samples of given spans or traces
//! (`SelectMergeSpanProfile`, `span_selector`, `trace_id_selector`): from
//! raw rows, as rollups keep no sample labels. Partitions are scanned on
//! the blocking pool (see `read_scan.rs`) and summed by stack id per id
//! space, as merges are (see `read_merge.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kiln_model::stacks::{StackMerger, StackSamples, SymbolDb};
use kiln_model::Tree;

use crate::error::Result;
use crate::labels::SeriesFilter;
use crate::partition::Partition;
use crate::read::{Selected, TimeRange};
use crate::read_merge::IdSpace;
use crate::read_partition::Part;
use crate::read_scan::OnGone;
use crate::store::Store;

/// The sample label naming a sample's span (`profile_id` is stored as it).
pub const SPAN_ID: &str = "span_id";
/// The sample label naming a sample's trace.
pub const TRACE_ID: &str = "trace_id";

impl Store {
    /// The merged call tree of the samples of the matching series over the
    /// range whose `span_id` label is one of `span_ids` (empty when none is
    /// given).
    pub async fn merge_tree_spans(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        span_ids: &[String],
    ) -> Result<Tree> {
        self.merge_tree_sample_label(tenant, filter, range, SPAN_ID, span_ids).await
    }

    /// The merged call tree of the samples of the matching series over the
    /// range whose sample label `key` (`span_id` or `trace_id`) is one of
    /// `values`, compared ignoring ASCII case (empty when none is given).
    pub async fn merge_tree_sample_label(
        &self,
        tenant: &str,
        filter: &dyn SeriesFilter,
        range: TimeRange,
        key: &str,
        values: &[String],
    ) -> Result<Tree> {
        let wanted: HashSet<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
        if wanted.is_empty() {
            return Ok(Tree::new());
        }
        self.replanning(|| {
            let selected = self.select_with_rows(tenant, filter, range, &[]);
            let (key, wanted) = (key.to_owned(), wanted.clone());
            let visit = move |sums: &mut Sums, sel: &Selected, p: &Partition| {
                let samples = labelled_samples(p, sel, range, &key, &wanted);
                if !samples.stack_ids.is_empty() {
                    sums.add(p, &samples);
                }
            };
            self.scan(selected, Part::Rows, OnGone::Fail, Sums::default(), visit, Sums::into_tree)
        })
        .await
    }
}

/// Sums by stack id per id space, with the largest table seen for each:
/// partitions are added without re-interning their stacks, and only the
/// stacks carrying samples are placed in the tree at the end.
#[derive(Default)]
struct Sums {
    spaces: HashMap<IdSpace, (Arc<SymbolDb>, StackMerger)>,
}

impl Sums {
    fn add(&mut self, p: &Partition, samples: &StackSamples) {
        let (db, merger) = self.spaces.entry(IdSpace::of(p)).or_insert_with(|| (p.db.clone(), StackMerger::default()));
        if p.db.stacks.len() > db.stacks.len() {
            *db = p.db.clone();
        }
        merger.add(samples);
    }

    fn into_tree(self) -> Tree {
        let mut tree = Tree::new();
        for (db, merger) in self.spaces.into_values() {
            db.add_to_tree(&mut tree, merger.values());
        }
        tree
    }
}

/// The samples, in the partition's stack ids, of the selected series' rows
/// in the range whose label `key` has a wanted value.
fn labelled_samples(
    p: &Partition,
    sel: &Selected,
    range: TimeRange,
    key: &str,
    wanted: &HashSet<String>,
) -> StackSamples {
    let mut out = StackSamples::default();
    let strings = &p.db.symbols.tables.strings;
    let Some(key) = strings.iter().position(|s| s == key) else { return out };
    let lengths: HashSet<usize> = wanted.iter().map(String::len).collect();
    let values: HashSet<u32> = strings
        .iter()
        .enumerate()
        .filter(|(_, s)| lengths.contains(&s.len()) && wanted.contains(&s.to_ascii_lowercase()))
        .map(|(i, _)| i as u32)
        .collect();
    if values.is_empty() {
        return out;
    }
    for row in p.rows.iter().filter(|r| sel.series.contains_key(&r.series) && range.contains(r.time_nanos)) {
        let mut last = None;
        for l in row.labels.iter().filter(|l| l.key as usize == key && values.contains(&l.value)) {
            let i = l.sample as usize;
            if last == Some(i) {
                continue;
            }
            last = Some(i);
            if let (Some(&id), Some(&v)) = (row.samples.stack_ids.get(i), row.samples.values.get(i)) {
                out.stack_ids.push(id);
                out.values.push(v);
            }
        }
    }
    out
}
