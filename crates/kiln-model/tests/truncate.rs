//! `Tree::truncated` is the tree format's `max_nodes` cut as a tree: the
//! same `other` folding the encode/decode round trip gives, without bytes.

use std::collections::BTreeMap;

use kiln_model::{tree_format, Tree};
use proptest::prelude::*;

fn tree(stacks: &[(&str, i64)]) -> Tree {
    let mut t = Tree::new();
    for (stack, value) in stacks {
        t.insert_stack(&stack.split(';').collect::<Vec<_>>(), *value);
    }
    t
}

fn round_trip(t: &Tree, max_nodes: i64) -> Tree {
    tree_format::decode_tree(&tree_format::encode(t, max_nodes)).unwrap()
}

#[test]
fn children_below_the_cut_fold_into_one_other_per_parent() {
    let t = tree(&[("a;b", 5), ("a;c", 1), ("a;d", 1), ("e", 1)]);
    let cut = t.truncated(2);
    let want: BTreeMap<String, i64> = [("a;b", 5), ("a;other", 2), ("other", 1)].map(|(s, v)| (s.into(), v)).into();
    assert_eq!(cut.folded_map(), want);
    assert_eq!(cut.total(), t.total());
}

#[test]
fn an_existing_other_child_absorbs_the_folded_value() {
    let t = tree(&[("a", 10), ("other", 3), ("b", 1), ("c", 1)]);
    let want: BTreeMap<String, i64> = [("a", 10), ("other", 5)].map(|(s, v)| (s.into(), v)).into();
    assert_eq!(t.truncated(2).folded_map(), want);
}

#[test]
fn max_nodes_below_one_or_above_the_size_keeps_everything() {
    let t = tree(&[("a;b", 5), ("a;c", 1), ("e", 1)]);
    assert_eq!(t.truncated(0).folded_map(), t.folded_map());
    assert_eq!(t.truncated(100).folded_map(), t.folded_map());
    assert!(Tree::new().truncated(3).is_empty());
}

proptest! {
    #[test]
    fn truncated_equals_the_tree_format_round_trip(
        stacks in proptest::collection::vec(("[a-d]{1,2}(;[a-d]{1,2}|;other){0,4}", 1..50i64), 0..40),
        max_nodes in 0..20i64,
    ) {
        let stacks: Vec<(&str, i64)> = stacks.iter().map(|(s, v)| (s.as_str(), *v)).collect();
        let t = tree(&stacks);
        let cut = t.truncated(max_nodes);
        let want = round_trip(&t, max_nodes);
        prop_assert_eq!(cut.folded_map(), want.folded_map());
        // Node for node, in the order the format writes them.
        prop_assert_eq!(tree_format::encode(&cut, 0), tree_format::encode(&want, 0));
    }
}
