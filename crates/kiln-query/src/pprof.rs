//! Merged profiles as pprof: `SelectMergeProfile` and
//! `SelectMergeStacktraces` with `PROFILE_FORMAT_PPROF`.

use kiln_model::pb::google::v1::Profile;
use kiln_model::profile_type::ProfileType;
use kiln_model::selector::Selector;
use kiln_model::stacks::SymbolDb;
use kiln_model::{pprof, ProfileBuilder, Tree, ValueType};
use kiln_store::{MergedStacks, Store};

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::merge::{profile_type_filter, resolve_max_nodes, MergeRequest};
use crate::time::TimeRangeMs;

/// `SelectMergeProfile`, and `SelectMergeStacktraces` as pprof: the
/// request's stacks merged by location, keeping the addresses, mappings,
/// functions, files and lines that were ingested (of the profiles named by
/// `profile_ids` when there are any), cut to the call site and to
/// `max_nodes` stacks (the rest folded into `other` frames), typed by the
/// profile type id and stamped with the range.
pub async fn select_merge_profile(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    profile_ids: &[String],
) -> Result<Profile> {
    let max_nodes = resolve_max_nodes(req.max_nodes)? as usize;
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let merged = if profile_ids.is_empty() {
        store.merge_stacks(tenant, &filter, req.range.to_store()).await?
    } else {
        let by_id = merge_by_id(store, tenant, &filter, req, profile_ids).await?;
        blocking(move || stacks_of(&by_id)).await?
    };
    let req = req.clone();
    blocking(move || {
        let MergedStacks { mut db, values } = merged;
        let mut values = values.values().to_vec();
        if let Some(site) = req.stack_trace_selector.as_deref().filter(|s| !s.is_empty()) {
            keep_call_site(&db, &mut values, site);
        }
        let values = db.truncate_values(&values, max_nodes);
        let mut p = db.to_profile(&values);
        stamp(&mut p, &req.profile_type_id, req.range)?;
        Ok(pprof::to_message(&p))
    })
    .await?
}

/// The named profiles of the request's series and range, merged.
async fn merge_by_id(
    store: &Store,
    tenant: &str,
    filter: &Selector,
    req: &MergeRequest,
    profile_ids: &[String],
) -> Result<kiln_model::Profile> {
    let window = req.range.to_store();
    let mut found = Vec::new();
    for id in profile_ids {
        let uuid = uuid::Uuid::parse_str(id).map_err(|e| QueryError::invalid(format!("profile id {id:?}: {e}")))?;
        for (labels, profile) in store.profile_by_id(tenant, uuid.as_u128()).await? {
            if filter.matches(&labels) && window.contains(profile.time_nanos) {
                found.push(profile);
            }
        }
    }
    kiln_model::merge::merge(&found).map_err(|e| QueryError::invalid(e.message))
}

/// A profile's first sample type as one stack table.
fn stacks_of(p: &kiln_model::Profile) -> MergedStacks {
    let mut merged = MergedStacks::default();
    let samples = merged.db.add_profile(p, 0);
    merged.values.add(&samples);
    merged
}

/// Zeroes the values of the stacks whose frames, root first, do not start
/// with `site`.
fn keep_call_site(db: &SymbolDb, values: &mut [i64], site: &[String]) {
    let tables = &db.symbols.tables;
    for (id, v) in values.iter_mut().enumerate().filter(|(_, v)| **v != 0) {
        let mut names = Vec::with_capacity(site.len());
        for loc in db.leaf_first(id as u32).into_iter().rev() {
            tables.for_each_location_frame(loc, |f| names.push(f.to_owned()));
            if names.len() >= site.len() {
                break;
            }
        }
        if names.len() < site.len() || names.iter().zip(site).any(|(n, s)| n != s) {
            *v = 0;
        }
    }
}

/// Sample and period types from the profile type id; time and duration
/// from the range.
fn stamp(p: &mut kiln_model::Profile, profile_type_id: &str, range: TimeRangeMs) -> Result<()> {
    let pt = ProfileType::parse(profile_type_id).map_err(|e| QueryError::invalid(e.to_string()))?;
    let mut vt = |ty: &str, unit: &str| ValueType { ty: p.intern_str(ty), unit: p.intern_str(unit) };
    let (sample, period) = (vt(&pt.sample_type, &pt.sample_unit), vt(&pt.period_type, &pt.period_unit));
    p.sample_types = vec![sample];
    p.period_type = period;
    let window = range.to_store();
    (p.time_nanos, p.duration_nanos) = (window.start, window.end - window.start);
    Ok(())
}

/// A pprof profile with one sample per stack of `tree` (one location per
/// frame name), typed by the profile type id and stamped with the range.
pub fn tree_pprof(tree: &Tree, profile_type_id: &str, range: TimeRangeMs) -> Result<Profile> {
    let pt = ProfileType::parse(profile_type_id).map_err(|e| QueryError::invalid(e.to_string()))?;
    let sample = (pt.sample_type.as_str(), pt.sample_unit.as_str());
    let mut b = ProfileBuilder::new(&[sample], (&pt.period_type, &pt.period_unit), 0);
    tree.for_each_stack(|stack, v| {
        let names: Vec<&str> = stack.iter().map(|&n| tree.name(n)).collect();
        b.add_stack(&names, &[v]);
    });
    let window = range.to_store();
    b.set_time(window.start, window.end - window.start);
    Ok(pprof::to_message(&b.build()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_pprof_has_one_sample_per_stack_typed_and_stamped_with_the_range() {
        let mut tree = Tree::new();
        tree.insert_stack(&["main", "work"], 3);
        tree.insert_stack(&["main"], 2);
        let range = TimeRangeMs::new(1_000, 3_000).unwrap();
        let p = tree_pprof(&tree, "process_cpu:cpu:nanoseconds:cpu:nanoseconds", range).unwrap();
        let mut values: Vec<Vec<i64>> = p.sample.iter().map(|s| s.value.clone()).collect();
        values.sort();
        assert_eq!(values, [vec![2], vec![3]]);
        let depths: Vec<usize> = p.sample.iter().map(|s| s.location_id.len()).collect();
        assert_eq!(depths.iter().sum::<usize>(), 3);
        assert_eq!((p.time_nanos, p.duration_nanos), (1_000_000_000, 2_000_000_000));
        let string = |i: i64| String::from_utf8_lossy(&p.string_table[i as usize]).into_owned();
        assert_eq!(string(p.sample_type[0].r#type), "cpu");
        assert_eq!(string(p.sample_type[0].unit), "nanoseconds");
    }

    #[test]
    fn a_bad_profile_type_id_is_an_invalid_argument() {
        let e = tree_pprof(&Tree::new(), "cpu", TimeRangeMs::all()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
    }
}
