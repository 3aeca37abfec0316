//! Flame graph levels, `max_nodes` folding, diffs and flamebearer JSON, checked
//! against the layouts Pyroscope produces for the same trees.

use kiln_model::flamebearer;
use kiln_model::flamegraph::{flame_graph, tree_from_flame_graph};
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::{ProfileType, Tree};

fn tree(stacks: &[(&str, i64)]) -> Tree {
    let mut t = Tree::new();
    for (stack, v) in stacks {
        let frames: Vec<&str> = stack.split(';').collect();
        t.insert_stack(&frames, *v);
    }
    t
}

fn levels(fg: &kiln_model::pb::querier::v1::FlameGraph) -> Vec<Vec<i64>> {
    fg.levels.iter().map(|l| l.values.clone()).collect()
}

/// The tree of Pyroscope's `Test_ExportToFlamebearer`.
fn abcde() -> Tree {
    tree(&[("a;b;e", 1), ("a;c", 2), ("a;c;d", 1)])
}

#[test]
fn levels_match_pyroscope_layout_for_the_same_tree() {
    let fg = flame_graph(&abcde(), -1);
    assert_eq!(fg.names, ["total", "a", "c", "d", "b", "e"]);
    assert_eq!(
        levels(&fg),
        vec![vec![0, 4, 0, 0], vec![0, 4, 0, 1], vec![0, 1, 0, 4, 0, 3, 2, 2], vec![0, 1, 1, 5, 2, 1, 1, 3]]
    );
    assert_eq!((fg.total, fg.max_self), (4, 2));
}

#[test]
fn flamebearer_json_is_byte_for_byte_pyroscopes() {
    let pt = ProfileType::parse("memory:inuse_space:bytes:space:bytes").unwrap();
    let json = flamebearer::to_json(&flamebearer::single(&flame_graph(&abcde(), -1), &pt));
    assert_eq!(
        json,
        r#"{"version":1,"flamebearer":{"names":["total","a","c","d","b","e"],"levels":[[0,4,0,0],[0,4,0,1],[0,1,0,4,0,3,2,2],[0,1,1,5,2,1,1,3]],"numTicks":4,"maxSelf":2},"metadata":{"format":"single","spyName":"","sampleRate":100,"units":"bytes","name":"inuse_space"},"timeline":null,"groups":null,"heatmap":null}"#
    );
}

#[test]
fn flamebearer_units_follow_the_sample_type() {
    let fg = flame_graph(&abcde(), -1);
    let units = |id: &str| flamebearer::single(&fg, &ProfileType::parse(id).unwrap()).metadata.units;
    assert_eq!(units("process_cpu:cpu:nanoseconds:cpu:nanoseconds"), "samples");
    assert_eq!(units("process_cpu:samples:count:cpu:nanoseconds"), "objects");
    assert_eq!(units("memory:alloc_space:bytes:space:bytes"), "bytes");
    assert_eq!(units("mutex:delay:nanoseconds:contentions:count"), "nanoseconds");
}

#[test]
fn flamebearer_json_escapes_html_like_go() {
    let t = tree(&[("<init>;a&b", 1)]);
    let pt = ProfileType::parse("process_cpu:cpu:nanoseconds:cpu:nanoseconds").unwrap();
    let json = flamebearer::to_json(&flamebearer::single(&flame_graph(&t, -1), &pt));
    assert!(json.contains(r#""\u003cinit\u003e","a\u0026b""#), "{json}");
    let back = flamebearer::from_json(json.as_bytes()).unwrap();
    assert_eq!(back.flamebearer.names[1], "<init>");
}

#[test]
fn max_nodes_folds_small_children_into_other_as_pyroscope_does() {
    let t = tree(&[("foo;bar", 1), ("foo;bar;baz", 1), ("foo;qux", 2), ("fred;zoo", 1), ("fred;other", 1)]);
    let back = tree_from_flame_graph(&flame_graph(&t, 4)).unwrap();
    let expected = tree(&[("foo;bar", 1), ("foo;bar;other", 1), ("foo;qux", 2), ("fred;other", 2)]);
    assert_eq!(back.folded_map(), expected.folded_map());
}

#[test]
fn levels_read_back_into_the_same_tree() {
    let t = tree(&[("main;a;b", 3), ("main;a", 2), ("main;c;d;e", 7), ("other_root;x", 1)]);
    let back = tree_from_flame_graph(&flame_graph(&t, 0)).unwrap();
    assert_eq!(back.folded_map(), t.folded_map());
}

#[test]
fn min_value_is_the_max_nodes_th_largest_total() {
    let t = tree(&[("a;b", 5), ("a;c", 3), ("d", 1)]);
    // totals: a=8, b=5, c=3, d=1
    assert_eq!(t.min_value(2), 5);
    assert_eq!(t.min_value(3), 3);
    assert_eq!(t.min_value(4), 0);
    assert_eq!(t.min_value(0), 0);
}

#[test]
fn diff_aligns_both_trees_to_one_node_set() {
    let d = flame_graph_diff(&tree(&[("a;b", 1)]), &tree(&[("a;c", 2)]), 0).unwrap();
    assert_eq!(d.names, ["total", "a", "c", "b"]);
    let lv: Vec<Vec<i64>> = d.levels.iter().map(|l| l.values.clone()).collect();
    assert_eq!(
        lv,
        vec![vec![0, 1, 0, 0, 2, 0, 0], vec![0, 1, 0, 0, 2, 0, 1], vec![0, 1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 2, 2, 2]]
    );
    assert_eq!((d.total, d.max_self, d.left_ticks, d.right_ticks), (3, 2, 1, 2));
}

#[test]
fn diff_folds_nodes_small_on_both_sides_into_other() {
    let left = tree(&[("a;big", 100), ("a;tiny1", 1), ("a;tiny2", 1)]);
    let right = tree(&[("a;big", 90), ("a;tiny1", 2)]);
    let d = flame_graph_diff(&left, &right, 3).unwrap();
    assert!(d.names.contains(&"other".to_string()));
    assert!(!d.names.contains(&"tiny1".to_string()));
    let last = &d.levels[2].values;
    // `big` and `other` remain at level 2; other carries 2 left, 2 right.
    assert_eq!(last.len(), 14);
    let other_idx = d.names.iter().position(|n| n == "other").unwrap() as i64;
    let other = last.chunks(7).find(|n| n[6] == other_idx).unwrap();
    assert_eq!((other[1], other[2], other[4], other[5]), (2, 2, 2, 2));
}

#[test]
fn empty_tree_gives_a_lone_total_node() {
    let fg = flame_graph(&Tree::new(), 8192);
    assert_eq!(fg.names, ["total"]);
    assert_eq!(levels(&fg), vec![vec![0, 0, 0, 0]]);
}

#[test]
fn cpu_flamebearers_count_nanoseconds_at_a_rate_of_1e9() {
    let fg = flame_graph(&abcde(), -1);
    let rate = |id: &str| flamebearer::single(&fg, &ProfileType::parse(id).unwrap()).metadata.sample_rate;
    assert_eq!(rate("process_cpu:cpu:nanoseconds:cpu:nanoseconds"), 1_000_000_000);
    assert_eq!(rate("memory:alloc_space:bytes:space:bytes"), 100);
}
