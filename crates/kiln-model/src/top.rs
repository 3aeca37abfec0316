//! The top table: self and total per function name. A function's total
//! counts each stack once, however often the function recurses in it.

use rustc_hash::FxHashMap;

use crate::tree::{NameId, Tree, ROOT};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    pub name: String,
    pub self_value: i64,
    pub total: i64,
}

/// Every function of the tree, by self value descending, then total, then
/// name.
pub fn top_table(tree: &Tree) -> Vec<TopEntry> {
    let mut by_name: FxHashMap<NameId, (i64, i64)> = FxHashMap::default();
    // (node, names on the path to it that are already counted in total)
    let mut on_path: Vec<NameId> = Vec::new();
    let mut pending: Vec<(u32, usize)> = vec![(ROOT, 0)];
    while let Some((n, depth)) = pending.pop() {
        on_path.truncate(depth);
        let node = tree.node(n);
        let next_depth = if n == ROOT {
            0
        } else {
            let e = by_name.entry(node.name).or_default();
            e.0 = e.0.saturating_add(node.self_value);
            if !on_path.contains(&node.name) {
                e.1 = e.1.saturating_add(node.total);
            }
            on_path.push(node.name);
            depth + 1
        };
        pending.extend(node.children.iter().map(|&c| (c, next_depth)));
    }
    let mut rows: Vec<TopEntry> = by_name
        .into_iter()
        .map(|(n, (s, t))| TopEntry { name: tree.name(n).to_owned(), self_value: s, total: t })
        .collect();
    rows.sort_by(|a, b| b.self_value.cmp(&a.self_value).then(b.total.cmp(&a.total)).then(a.name.cmp(&b.name)));
    rows
}
