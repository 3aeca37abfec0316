//! Merging profiles, the top table and the sandwich view.

use kiln_model::merge::merge;
use kiln_model::sandwich::sandwich;
use kiln_model::stacks::{StackMerger, StackSamples, StackTable, SymbolDb};
use kiln_model::symbols::Symbols;
use kiln_model::top::top_table;
use kiln_model::{Profile, ProfileBuilder, Tree};
use proptest::prelude::*;

fn profile(stacks: &[(Vec<String>, i64)]) -> Profile {
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    for (s, v) in stacks {
        b.add_stack(s, &[*v]);
    }
    b.build()
}

fn tree(stacks: &[(&str, i64)]) -> Tree {
    let mut t = Tree::new();
    for (s, v) in stacks {
        t.insert_stack(&s.split(';').collect::<Vec<_>>(), *v);
    }
    t
}

fn profiles() -> impl Strategy<Value = Vec<Vec<(Vec<String>, i64)>>> {
    let stack = (prop::collection::vec("[a-e]", 1..6), 1i64..1000);
    prop::collection::vec(prop::collection::vec(stack, 0..10), 1..6)
}

proptest! {
    #[test]
    fn merge_order_does_not_change_any_stack(ps in profiles()) {
        let ps: Vec<Profile> = ps.iter().map(|s| profile(s)).collect();
        let forward = merge(ps.iter()).unwrap();
        let backward = merge(ps.iter().rev()).unwrap();
        prop_assert_eq!(Tree::from_profile(&forward, 0).folded_map(), Tree::from_profile(&backward, 0).folded_map());
        let mut expected = Tree::new();
        for p in &ps {
            expected.add_profile(p, 0);
        }
        prop_assert_eq!(Tree::from_profile(&forward, 0).folded_map(), expected.folded_map());
    }

    #[test]
    fn stored_form_merge_gives_the_same_tree_as_merging_profiles(ps in profiles()) {
        let ps: Vec<Profile> = ps.iter().map(|s| profile(s)).collect();
        let mut db = SymbolDb::default();
        let stored: Vec<StackSamples> = ps.iter().map(|p| db.add_profile(p, 0)).collect();
        let mut merger = StackMerger::default();
        for s in stored.iter().rev() {
            merger.add(s);
        }
        let mut expected = Tree::new();
        for p in &ps {
            expected.add_profile(p, 0);
        }
        prop_assert_eq!(db.tree(merger.values()).folded_map(), expected.folded_map());
        for (p, s) in ps.iter().zip(&stored) {
            prop_assert_eq!(db.tree_of(s).folded_map(), Tree::from_profile(p, 0).folded_map());
        }
    }

    #[test]
    fn absorbing_stored_dbs_keeps_every_stack(a in profiles(), b in profiles()) {
        let (pa, pb) = (profile(&a.concat()), profile(&b.concat()));
        let (mut da, mut db) = (SymbolDb::default(), SymbolDb::default());
        let (sa, sb) = (da.add_profile(&pa, 0), db.add_profile(&pb, 0));
        // Read back from columns, as from disk, then merge both into one.
        let (parent, location) = db.stacks.parts();
        let reread = SymbolDb {
            symbols: Symbols::from_tables(db.symbols.tables.clone()),
            stacks: StackTable::from_parts(parent.to_vec(), location.to_vec()).unwrap(),
        };
        let ids = da.absorb(&reread);
        let moved = StackSamples { stack_ids: sb.stack_ids.iter().map(|&i| ids[i as usize]).collect(), values: sb.values.clone() };
        let mut m = StackMerger::default();
        m.add(&sa);
        m.add(&moved);
        let mut expected = Tree::from_profile(&pa, 0);
        expected.add_profile(&pb, 0);
        prop_assert_eq!(da.tree(m.values()).folded_map(), expected.folded_map());
    }

    #[test]
    fn tree_merge_equals_inserting_everything_into_one(a in profiles(), b in profiles()) {
        let (pa, pb) = (profile(&a.concat()), profile(&b.concat()));
        let mut merged = Tree::from_profile(&pa, 0);
        merged.merge(&Tree::from_profile(&pb, 0));
        let mut one = Tree::from_profile(&pa, 0);
        one.add_profile(&pb, 0);
        prop_assert_eq!(merged.folded_map(), one.folded_map());
    }
}

#[test]
fn merge_deduplicates_symbols_and_sums_samples() {
    let s = |v: &str| v.split(';').map(String::from).collect::<Vec<_>>();
    let a = profile(&[(s("main;work"), 10), (s("main;idle"), 1)]);
    let b = profile(&[(s("main;work"), 5)]);
    let m = merge([&a, &b]).unwrap();
    assert_eq!(m.functions.len(), 3);
    assert_eq!(m.samples.len(), 2);
    assert_eq!(m.totals(), vec![16]);
}

#[test]
fn stack_table_shares_common_prefixes() {
    let s = |v: &str| v.split(';').map(String::from).collect::<Vec<_>>();
    let mut db = SymbolDb::default();
    let a = db.add_profile(&profile(&[(s("main;a;b"), 1), (s("main;a;c"), 2)]), 0);
    let b = db.add_profile(&profile(&[(s("main;a;b"), 5)]), 0);
    // empty, main, main;a, main;a;b, main;a;c
    assert_eq!(db.stacks.len(), 5);
    assert_eq!(b.stack_ids[0], a.stack_ids[0]);
    assert_eq!((a.total(), b.total()), (3, 5));
}

#[test]
fn stack_tables_refuse_columns_that_are_not_a_tree() {
    assert!(StackTable::from_parts(vec![0, 0, 1], vec![u64::MAX, 3, 4]).is_some());
    assert!(StackTable::from_parts(vec![0, 2, 1], vec![u64::MAX, 3, 4]).is_none());
    assert!(StackTable::from_parts(vec![0, 0], vec![u64::MAX]).is_none());
    assert!(StackTable::from_parts(vec![], vec![]).is_none());
}

#[test]
fn merge_refuses_different_sample_types() {
    let a = profile(&[]);
    let b = ProfileBuilder::new(&[("alloc_space", "bytes")], ("space", "bytes"), 1).build();
    let e = merge([&a, &b]).unwrap_err();
    assert!(e.message.contains("different sample types"), "{e}");
}

#[test]
fn top_table_counts_recursion_once_in_total() {
    let t = tree(&[("main;f;f;g", 4), ("main;f", 1), ("main;h", 5)]);
    let rows = top_table(&t);
    let f = rows.iter().find(|r| r.name == "f").unwrap();
    assert_eq!((f.self_value, f.total), (1, 5));
    let main = rows.iter().find(|r| r.name == "main").unwrap();
    assert_eq!((main.self_value, main.total), (0, 10));
    assert_eq!(rows[0].name, "h");
}

#[test]
fn sandwich_shows_callers_and_callees_of_one_function() {
    let t = tree(&[("main;a;f;x", 3), ("main;b;f;y", 2), ("main;b;f", 1), ("main;z", 9)]);
    let s = sandwich(&t, "f");
    let callers = s.callers.folded_map();
    assert_eq!((callers["f;a;main"], callers["f;b;main"]), (3, 3));
    let callees = s.callees.folded_map();
    assert_eq!((callees["f;x"], callees["f;y"], callees["f"]), (3, 2, 1));
    assert_eq!(s.callees.total(), 6);
    assert!(sandwich(&t, "absent").callers.is_empty());
}
