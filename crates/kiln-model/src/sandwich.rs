//! The sandwich view of one function: who calls it (callers) and what it
//! calls (callees), each as a tree rooted at the function.

use crate::tree::{NameId, Tree, ROOT};

#[derive(Debug, Clone)]
pub struct Sandwich {
    /// Rooted at the function; children are its callers, then theirs.
    pub callers: Tree,
    /// Rooted at the function; children are its callees, merged over every
    /// place it is called from.
    pub callees: Tree,
}

/// The sandwich of `function`. Only its outermost occurrence on each
/// stack counts, so recursion is not counted twice. Both trees are empty
/// when the function does not occur.
pub fn sandwich(tree: &Tree, function: &str) -> Sandwich {
    let mut s = Sandwich { callers: Tree::new(), callees: Tree::new() };
    let mut path: Vec<u32> = Vec::new();
    let mut pending: Vec<(u32, usize)> = tree.node(ROOT).children.iter().map(|&c| (c, 0)).collect();
    while let Some((n, depth)) = pending.pop() {
        path.truncate(depth);
        path.push(n);
        if tree.name(tree.node(n).name) == function {
            add_callers(tree, &path, &mut s.callers);
            add_callees(tree, n, &mut s.callees);
            continue;
        }
        pending.extend(tree.node(n).children.iter().map(|&c| (c, depth + 1)));
    }
    s
}

/// Adds the path root..=f, reversed, with f's total.
fn add_callers(tree: &Tree, path: &[u32], callers: &mut Tree) {
    let names: Vec<&str> = path.iter().rev().map(|&n| tree.name(tree.node(n).name)).collect();
    callers.insert_stack(&names, tree.node(path[path.len() - 1]).total);
}

/// Adds the subtree under `f` with `f` as its root.
fn add_callees(tree: &Tree, f: u32, callees: &mut Tree) {
    let mut stack: Vec<NameId> = Vec::new();
    let mut pending: Vec<(u32, usize)> = vec![(f, 0)];
    while let Some((n, depth)) = pending.pop() {
        stack.truncate(depth);
        stack.push(callees.name_id(tree.name(tree.node(n).name)));
        callees.insert_ids(&stack, tree.node(n).self_value);
        pending.extend(tree.node(n).children.iter().map(|&c| (c, depth + 1)));
    }
}
