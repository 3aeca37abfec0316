//! Tree -> Connect `FlameGraph` levels, node for node as Pyroscope builds
//! them (`pkg/model/flamegraph.go`), and levels -> tree for reading them back.
//!
//! Each level is a run of `[x_delta, total, self, name_index]` nodes, left to
//! right; `x_delta` is the node's x minus the end of the previous node of the
//! same level. A node's children start at `x + self`. Names are numbered in
//! the order a right-to-left depth-first walk meets them, `names[0] = "total"`.

use rustc_hash::FxHashMap;

use crate::error::{Error, Position, Result};
use crate::pb::querier::v1::{FlameGraph, Level};
use crate::tree::{Tree, ROOT};

/// The name Pyroscope gives to children folded by `max_nodes`.
pub const OTHER: &str = "other";

/// Default `max_nodes` of Pyroscope's querier (`max-flamegraph-nodes-default`).
pub const DEFAULT_MAX_NODES: i64 = 8192;

/// A node being laid out: a tree node, or a synthetic `other` of a total.
#[derive(Clone, Copy)]
enum Item {
    Real(u32),
    Other(i64),
}

/// Assigns name indices the way Pyroscope does, quirks included: the first
/// name becomes `"total"` and is cached under that spelling.
#[derive(Default)]
pub(crate) struct NameTable<'a> {
    pub names: Vec<String>,
    index: FxHashMap<&'a str, i64>,
}

impl<'a> NameTable<'a> {
    pub fn index(&mut self, name: &'a str) -> i64 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as i64;
        let name = if i == 0 { "total" } else { name };
        self.index.insert(name, i);
        self.names.push(name.to_owned());
        i
    }
}

/// Builds the flame graph of a tree, folding children whose total is below
/// the `max_nodes`-th largest total into one `other` child per parent.
/// `max_nodes < 1` keeps every node.
pub fn flame_graph(tree: &Tree, max_nodes: i64) -> FlameGraph {
    let min_value = tree.min_value(max_nodes);
    let mut names = NameTable::default();
    let mut levels: Vec<Vec<i64>> = Vec::new();
    let mut max_self = 0i64;
    let mut by_name_id: Vec<i64> = Vec::new();
    let mut pending: Vec<(Item, i64, usize)> = vec![(Item::Real(ROOT), 0, 0)];
    while let Some((item, x, level)) = pending.pop() {
        let (name, total, self_value) = match item {
            Item::Real(n) => {
                let node = tree.node(n);
                (tree.name(node.name), node.total, if n == ROOT { 0 } else { node.self_value })
            }
            Item::Other(total) => (OTHER, total, total),
        };
        max_self = max_self.max(self_value);
        let name_index = match item {
            Item::Real(n) if n != ROOT => {
                let id = tree.node(n).name as usize;
                if id >= by_name_id.len() {
                    by_name_id.resize(id + 1, -1);
                }
                if by_name_id[id] < 0 {
                    by_name_id[id] = names.index(name);
                }
                by_name_id[id]
            }
            _ => names.index(name),
        };
        if level == levels.len() {
            levels.push(Vec::new());
        }
        levels[level].extend_from_slice(&[x, total, self_value, name_index]);
        let Item::Real(n) = item else { continue };
        let mut child_x = x.saturating_add(self_value);
        let mut other = 0i64;
        for c in tree.sorted_children(n) {
            let child = tree.node(c);
            if child.total >= min_value && tree.name(child.name) != OTHER {
                pending.push((Item::Real(c), child_x, level + 1));
                child_x = child_x.saturating_add(child.total);
            } else {
                other = other.saturating_add(child.total);
            }
        }
        if other != 0 {
            pending.push((Item::Other(other), child_x, level + 1));
        }
    }
    FlameGraph {
        names: names.names,
        levels: levels.into_iter().map(|l| Level { values: left_to_right_deltas(l, 4, &[0]) }).collect(),
        total: tree.total(),
        max_self,
    }
}

/// Reverses the node order of a level filled right to left, then delta
/// encodes the x offsets at each of `x_fields`.
pub(crate) fn left_to_right_deltas(level: Vec<i64>, width: usize, x_fields: &[usize]) -> Vec<i64> {
    let mut out: Vec<i64> = level.chunks_exact(width).rev().flatten().copied().collect();
    for &f in x_fields {
        let mut prev = 0i64;
        for node in out.chunks_exact_mut(width) {
            let x = node[f];
            node[f] = x.saturating_sub(prev);
            prev = x.saturating_add(node[f + 1]);
        }
    }
    out
}

/// Rebuilds the tree a flame graph was drawn from (stacks with a self
/// value; folded `other` nodes stay named `other`).
pub fn tree_from_levels(names: &[String], levels: &[Vec<i64>], width: usize) -> Result<Tree> {
    let bad = |m: String| Error::malformed("flame graph", Position::None, m);
    let mut abs: Vec<Vec<i64>> = Vec::with_capacity(levels.len());
    for (d, l) in levels.iter().enumerate() {
        if l.len() % width != 0 {
            return Err(bad(format!("level {d} has {} values, not a multiple of {width}", l.len())));
        }
        let mut prev = 0i64;
        let mut xs = Vec::with_capacity(l.len() / width);
        for node in l.chunks_exact(width) {
            let x = prev.saturating_add(node[0]);
            prev = x.saturating_add(node[1]);
            xs.push(x);
        }
        abs.push(xs);
    }
    let name_of = |v: i64| -> Result<&str> {
        names
            .get(usize::try_from(v).unwrap_or(usize::MAX))
            .map(String::as_str)
            .ok_or_else(|| bad(format!("name index {v} out of range")))
    };
    let mut tree = Tree::new();
    let mut stack: Vec<&str> = Vec::new();
    for d in 1..levels.len() {
        for (j, node) in levels[d].chunks_exact(width).enumerate() {
            if node[2] <= 0 {
                continue;
            }
            stack.clear();
            stack.push(name_of(node[width - 1])?);
            let mut x = abs[d][j];
            for up in (1..d).rev() {
                let k = abs[up].partition_point(|&px| px <= x);
                let parent = k.checked_sub(1).ok_or_else(|| bad(format!("node at level {d} has no parent")))?;
                stack.push(name_of(levels[up][parent * width + width - 1])?);
                x = abs[up][parent];
            }
            stack.reverse();
            tree.insert_stack(&stack, node[2]);
        }
    }
    Ok(tree)
}

/// Reads a `FlameGraph` message back into a tree.
pub fn tree_from_flame_graph(fg: &FlameGraph) -> Result<Tree> {
    let levels: Vec<Vec<i64>> = fg.levels.iter().map(|l| l.values.clone()).collect();
    tree_from_levels(&fg.names, &levels, 4)
}
