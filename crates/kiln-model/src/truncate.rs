//! `max_nodes` truncation with Pyroscope's `other` folding
//! (`MarshalTruncate`): children whose total is below the `max_nodes`-th
//! largest node total fold into one `other` child per parent. The tree
//! format's encoder writes the cut directly; [`Tree::truncated`] returns it
//! as a tree.

use crate::flamegraph::OTHER;
use crate::tree::{Tree, ROOT};

impl Tree {
    /// This tree cut to `max_nodes` nodes, with the folded children of each
    /// parent summed into its `other` child (`max_nodes < 1` keeps
    /// everything): the tree `tree_format::encode(self, max_nodes)` decodes
    /// to.
    pub fn truncated(&self, max_nodes: i64) -> Tree {
        let mut out = Tree::new();
        if self.is_empty() {
            return out;
        }
        let min_value = self.min_value(max_nodes);
        // (node of `self`, the same node in `out`)
        let mut pending = vec![(ROOT, ROOT)];
        while let Some((n, at)) = pending.pop() {
            for item in kept_children(self, n, min_value) {
                let (name, value) = match item {
                    Item::Real(c, extra) => {
                        (self.name(self.node(c).name), self.node(c).self_value.saturating_add(extra))
                    }
                    Item::Other(v) => (OTHER, v),
                };
                let name = out.name_id(name);
                let child = out.child(at, name);
                out.add_at(child, value);
                if let Item::Real(c, _) = item {
                    pending.push((c, child));
                }
            }
        }
        out
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Item {
    /// A tree node, with folded value added to its self (for `other`).
    Real(u32, i64),
    /// A synthetic `other` child.
    Other(i64),
}

/// Children kept at the cut, in name order, with the folded remainder
/// merged into (or added as) `other`.
pub(crate) fn kept_children(tree: &Tree, n: u32, min_value: i64) -> Vec<Item> {
    let mut kept = Vec::new();
    let mut other = 0i64;
    let mut real_other: Option<usize> = None;
    for c in tree.sorted_children(n) {
        let child = tree.node(c);
        let is_other = tree.name(child.name) == OTHER;
        if child.total >= min_value || is_other {
            if is_other {
                real_other = Some(kept.len());
            }
            kept.push(Item::Real(c, 0));
        } else {
            other = other.saturating_add(child.total);
        }
    }
    if other == 0 {
        return kept;
    }
    match real_other {
        // An existing `other` child absorbs the folded value.
        Some(i) => {
            if let Item::Real(c, _) = kept[i] {
                kept[i] = Item::Real(c, other);
            }
        }
        None => {
            let after_other = |k: &Item| matches!(k, Item::Real(c, _) if tree.name(tree.node(*c).name) > OTHER);
            let at = kept.iter().position(after_other).unwrap_or(kept.len());
            kept.insert(at, Item::Other(other));
        }
    }
    kept
}
