//! The call tree: frames merged by name from the root, with self and total
//! per node. Flame graphs, the top table, the sandwich view and the tree
//! transport format are all read off it.

use rustc_hash::FxHashMap;

use crate::profile::Profile;

/// Index into a tree's name table.
pub type NameId = u32;

/// Index of the root node; its name is the empty string.
pub const ROOT: u32 = 0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: NameId,
    /// The parent's index; the root is its own parent.
    pub parent: u32,
    pub self_value: i64,
    pub total: i64,
    /// Children in insertion order; see [`Tree::sorted_children`].
    pub children: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Tree {
    names: Vec<String>,
    name_index: FxHashMap<String, NameId>,
    nodes: Vec<Node>,
    child_index: FxHashMap<(u32, NameId), u32>,
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

impl Tree {
    pub fn new() -> Tree {
        let mut t = Tree {
            names: Vec::new(),
            name_index: FxHashMap::default(),
            nodes: Vec::new(),
            child_index: FxHashMap::default(),
        };
        let root_name = t.name_id("");
        t.nodes.push(Node { name: root_name, parent: ROOT, self_value: 0, total: 0, children: Vec::new() });
        t
    }

    /// Interns a frame name.
    pub fn name_id(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.name_index.get(name) {
            return id;
        }
        let id = self.names.len() as NameId;
        self.names.push(name.to_owned());
        self.name_index.insert(name.to_owned(), id);
        id
    }

    pub fn name(&self, id: NameId) -> &str {
        &self.names[id as usize]
    }

    pub fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Sum of every stack's value.
    pub fn total(&self) -> i64 {
        self.nodes[ROOT as usize].total
    }

    /// The child of `parent` named `name`, created if absent.
    pub fn child(&mut self, parent: u32, name: NameId) -> u32 {
        if let Some(&c) = self.child_index.get(&(parent, name)) {
            return c;
        }
        let c = self.nodes.len() as u32;
        self.nodes.push(Node { name, parent, self_value: 0, total: 0, children: Vec::new() });
        self.nodes[parent as usize].children.push(c);
        self.child_index.insert((parent, name), c);
        c
    }

    /// Adds to a node's self and total, saturating rather than overflowing
    /// on hostile input.
    fn add(&mut self, n: u32, self_value: i64, total: i64) {
        let node = &mut self.nodes[n as usize];
        node.self_value = node.self_value.saturating_add(self_value);
        node.total = node.total.saturating_add(total);
    }

    /// Adds `value` to a stack of interned names, root first. Non-positive
    /// values are ignored, as in Pyroscope.
    pub fn insert_ids(&mut self, root_first: &[NameId], value: i64) {
        if value <= 0 {
            return;
        }
        let mut n = ROOT;
        self.add(ROOT, 0, value);
        for &name in root_first {
            n = self.child(n, name);
            self.add(n, 0, value);
        }
        self.add(n, value, 0);
    }

    /// Adds `value` as self of node `n` and to the total of `n` and every
    /// ancestor. Non-positive values are ignored.
    pub fn add_at(&mut self, n: u32, value: i64) {
        if value <= 0 {
            return;
        }
        self.add(n, value, 0);
        let mut n = n;
        loop {
            self.add(n, 0, value);
            if n == ROOT {
                return;
            }
            n = self.nodes[n as usize].parent;
        }
    }

    /// Adds `value` to a stack of frame names, root first.
    pub fn insert_stack<S: AsRef<str>>(&mut self, root_first: &[S], value: i64) {
        let ids: Vec<NameId> = root_first.iter().map(|s| self.name_id(s.as_ref())).collect();
        self.insert_ids(&ids, value);
    }

    /// The call tree of one sample type of a profile.
    pub fn from_profile(profile: &Profile, sample_type: usize) -> Tree {
        let mut t = Tree::new();
        t.add_profile(profile, sample_type);
        t
    }

    /// Adds one sample type of a profile to this tree.
    pub fn add_profile(&mut self, profile: &Profile, sample_type: usize) {
        let mut by_location: Vec<Option<Vec<NameId>>> = vec![None; profile.locations.len()];
        let mut stack = Vec::with_capacity(64);
        for s in &profile.samples {
            let value = s.values.get(sample_type).copied().unwrap_or(0);
            if value <= 0 {
                continue;
            }
            stack.clear();
            for &loc in s.locations.iter().rev() {
                let names = by_location[loc as usize].get_or_insert_with(|| self.location_names(profile, loc));
                stack.extend_from_slice(names);
            }
            self.insert_ids(&stack, value);
        }
    }

    fn location_names(&mut self, profile: &Profile, loc: u64) -> Vec<NameId> {
        let mut names = Vec::new();
        profile.for_each_location_frame(loc, |f| names.push(self.name_id(f)));
        names
    }

    /// Adds every stack of `other` to this tree.
    pub fn merge(&mut self, other: &Tree) {
        let names: Vec<NameId> = other.names.iter().map(|n| self.name_id(n)).collect();
        let mut pending = vec![(ROOT, ROOT)];
        while let Some((src, dst)) = pending.pop() {
            let s = &other.nodes[src as usize];
            self.add(dst, s.self_value, s.total);
            for &c in &s.children {
                let d = self.child(dst, names[other.nodes[c as usize].name as usize]);
                pending.push((c, d));
            }
        }
    }

    /// Children of `n` ordered by name, byte-wise, as Pyroscope keeps them.
    pub fn sorted_children(&self, n: u32) -> Vec<u32> {
        let mut c = self.nodes[n as usize].children.clone();
        c.sort_unstable_by(|&a, &b| self.name(self.nodes[a as usize].name).cmp(self.name(self.nodes[b as usize].name)));
        c
    }

    /// A profile with one sample per stack of this tree.
    pub fn to_profile(&self, sample_type: (&str, &str)) -> Profile {
        let mut b = crate::builder::ProfileBuilder::new(&[sample_type], ("", ""), 0);
        self.for_each_stack(|stack, v| {
            let names: Vec<&str> = stack.iter().map(|&n| self.name(n)).collect();
            b.add_stack(&names, &[v]);
        });
        b.build()
    }

    /// Calls `f(stack, self)` for every node with a self value, with the
    /// stack root first, in depth-first name order.
    pub fn for_each_stack(&self, mut f: impl FnMut(&[NameId], i64)) {
        let mut stack = Vec::new();
        let mut pending: Vec<(u32, usize)> = vec![(ROOT, 0)];
        while let Some((n, depth)) = pending.pop() {
            stack.truncate(depth);
            let node = &self.nodes[n as usize];
            if n != ROOT {
                stack.push(node.name);
                if node.self_value != 0 {
                    f(&stack, node.self_value);
                }
            }
            let d = if n == ROOT { 0 } else { depth + 1 };
            for &c in self.sorted_children(n).iter().rev() {
                pending.push((c, d));
            }
        }
    }

    /// Every stack as `(frames joined by ';', self)`, for comparing trees.
    pub fn folded_map(&self) -> std::collections::BTreeMap<String, i64> {
        let mut m = std::collections::BTreeMap::new();
        self.for_each_stack(|stack, v| {
            let key: Vec<&str> = stack.iter().map(|&n| self.name(n)).collect();
            *m.entry(key.join(";")).or_insert(0) += v;
        });
        m
    }

    /// The smallest total a node must have to be kept when the tree is cut
    /// to `max_nodes` nodes: the `max_nodes`-th largest node total, or 0
    /// when the tree is small enough (or `max_nodes` < 1).
    pub fn min_value(&self, max_nodes: i64) -> i64 {
        let size = self.nodes.len() as i64 - 1;
        if max_nodes < 1 || size <= max_nodes {
            return 0;
        }
        let mut totals: Vec<i64> = self.nodes[1..].iter().map(|n| n.total).collect();
        let k = max_nodes as usize - 1;
        let (_, kth, _) = totals.select_nth_unstable_by(k, |a, b| b.cmp(a));
        *kth
    }
}
