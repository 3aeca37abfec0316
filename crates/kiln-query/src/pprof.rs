//! Merged profiles as pprof: `SelectMergeProfile` and
//! `SelectMergeStacktraces` with `PROFILE_FORMAT_PPROF`.

use kiln_model::pb::google::v1::Profile;
use kiln_model::profile_type::ProfileType;
use kiln_model::{pprof, ProfileBuilder, Tree};
use kiln_store::Store;

use crate::by_id::select_merge_tree;
use crate::error::{QueryError, Result};
use crate::merge::{resolve_max_nodes, MergeRequest};
use crate::time::TimeRangeMs;

/// `SelectMergeProfile`: the merged tree of the request (of `profile_ids`
/// when there are any), cut to `max_nodes`, as pprof.
pub async fn select_merge_profile(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    profile_ids: &[String],
) -> Result<Profile> {
    let max_nodes = resolve_max_nodes(req.max_nodes)?;
    let tree = select_merge_tree(store, tenant, req, profile_ids).await?;
    tree_pprof(&tree.truncated(max_nodes), &req.profile_type_id, req.range)
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
