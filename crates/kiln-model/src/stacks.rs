//! The stored form of profiles: stacks interned once in a parent-pointer
//! tree of locations, so a profile is two columns, (stack id, value), and
//! merging profiles is adding values by stack id.

use rustc_hash::FxHashMap;

use crate::profile::Profile;
use crate::symbols::Symbols;
use crate::tree::{NameId, Tree, ROOT};

/// Stack id of the empty stack; every other stack hangs below it.
pub const EMPTY_STACK: u32 = 0;

/// Stacks as a parent-pointer tree: stack `i` is `location[i]` called from
/// stack `parent[i]`. A parent always has a smaller id than its children.
#[derive(Debug, Clone)]
pub struct StackTable {
    parent: Vec<u32>,
    location: Vec<u64>,
    index: FxHashMap<(u32, u64), u32>,
    /// A 64-bit hash of each stack's whole path from the root, so a
    /// repeated stack is found with one lookup in `whole` and checked in
    /// O(1) instead of frame by frame.
    path: Vec<u64>,
    /// Path hash -> the stack, with its leaf location and its parent's path
    /// hash to check it against: all in the one entry, so a repeated stack
    /// costs one cache miss.
    whole: FxHashMap<u64, WholeStack>,
}

impl Default for StackTable {
    fn default() -> Self {
        StackTable {
            parent: vec![EMPTY_STACK],
            location: vec![u64::MAX],
            index: FxHashMap::default(),
            path: vec![ROOT_PATH],
            whole: FxHashMap::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct WholeStack {
    id: u32,
    leaf: u64,
    parent_path: u64,
}

/// Path hash of the empty stack.
const ROOT_PATH: u64 = 0x243f_6a88_85a3_08d3;

/// Path hash of `location` called from a stack whose path hash is `parent`:
/// splitmix64's finaliser over both, so paths that differ anywhere differ
/// in all bits with overwhelming likelihood.
fn path_step(parent: u64, location: u64) -> u64 {
    let mut z = parent.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ location;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl StackTable {
    /// A table from its columns, as persisted: `parent[0]`/`location[0]`
    /// are the empty stack's, and every parent id is below its child's.
    pub fn from_parts(parent: Vec<u32>, location: Vec<u64>) -> Option<StackTable> {
        let ok = !parent.is_empty()
            && parent.len() == location.len()
            && parent.iter().enumerate().skip(1).all(|(i, &p)| (p as usize) < i);
        if !ok {
            return None;
        }
        let (index, path, whole) = (FxHashMap::default(), Vec::new(), FxHashMap::default());
        Some(StackTable { parent, location, index, path, whole })
    }

    /// Builds the (parent, location) index and the path hashes of a table
    /// read back from its columns, the first time it is added to.
    fn ensure_index(&mut self) {
        if self.path.len() == self.parent.len() {
            return;
        }
        self.index = (1..self.parent.len()).map(|i| ((self.parent[i], self.location[i]), i as u32)).collect();
        self.path = Vec::with_capacity(self.parent.len());
        self.path.push(ROOT_PATH);
        for i in 1..self.parent.len() {
            let h = path_step(self.path[self.parent[i] as usize], self.location[i]);
            self.path.push(h);
        }
    }

    /// The columns, for persisting.
    pub fn parts(&self) -> (&[u32], &[u64]) {
        (&self.parent, &self.location)
    }

    /// Interns a stack of already-mapped locations, leaf first.
    pub fn intern(&mut self, leaf_first: &[u64]) -> u32 {
        let Some(&leaf) = leaf_first.first() else { return EMPTY_STACK };
        self.ensure_index();
        let (mut prefix, mut h) = (ROOT_PATH, ROOT_PATH);
        for &loc in leaf_first.iter().rev() {
            prefix = h;
            h = path_step(h, loc);
        }
        if let Some(w) = self.whole.get(&h) {
            if w.leaf == leaf && w.parent_path == prefix {
                return w.id;
            }
        }
        let id = self.intern_leaf_first(leaf_first.iter().copied());
        self.whole.insert(h, WholeStack { id, leaf, parent_path: prefix });
        id
    }

    /// The stack `location` called from `parent`, created if new.
    pub fn child(&mut self, parent: u32, location: u64) -> u32 {
        self.ensure_index();
        if let Some(&id) = self.index.get(&(parent, location)) {
            return id;
        }
        let id = self.parent.len() as u32;
        self.parent.push(parent);
        self.location.push(location);
        self.path.push(path_step(self.path[parent as usize], location));
        self.index.insert((parent, location), id);
        id
    }

    /// Interns a stack given leaf first.
    pub fn intern_leaf_first(&mut self, locations: impl DoubleEndedIterator<Item = u64>) -> u32 {
        locations.rev().fold(EMPTY_STACK, |parent, loc| self.child(parent, loc))
    }

    /// Number of stacks, the empty stack included.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.len() == 1
    }

    /// `(parent, location)` of a stack other than the empty one.
    pub fn node(&self, id: u32) -> (u32, u64) {
        (self.parent[id as usize], self.location[id as usize])
    }
}

/// One profile's samples for one sample type, in stored form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackSamples {
    pub stack_ids: Vec<u32>,
    pub values: Vec<i64>,
}

impl StackSamples {
    pub fn total(&self) -> i64 {
        self.values.iter().fold(0i64, |a, &v| a.saturating_add(v))
    }
}

/// Symbols and stacks of one partition (one service).
#[derive(Debug, Clone, Default)]
pub struct SymbolDb {
    pub symbols: Symbols,
    pub stacks: StackTable,
}

impl SymbolDb {
    /// Interns a profile's symbols and stacks and returns its samples of
    /// one sample type in stored form (zero values dropped).
    pub fn add_profile(&mut self, p: &Profile, sample_type: usize) -> StackSamples {
        self.add_profile_types(p, &[sample_type]).pop().map(|(s, _)| s).unwrap_or_default()
    }

    /// Like [`SymbolDb::add_profile`] for several sample types at once,
    /// interning symbols and stacks once. For each entry of `sample_types`:
    /// its samples, and for each of them the index of the profile sample it
    /// came from (to carry sample labels along).
    pub fn add_profile_types(&mut self, p: &Profile, sample_types: &[usize]) -> Vec<(StackSamples, Vec<u32>)> {
        let locations = self.symbols.add_locations(p);
        let mut out = vec![(StackSamples::default(), Vec::new()); sample_types.len()];
        let mut locs = Vec::with_capacity(64);
        for (i, s) in p.samples.iter().enumerate() {
            let value = |t: usize| s.values.get(t).copied().unwrap_or(0);
            if sample_types.iter().all(|&t| value(t) == 0) {
                continue;
            }
            locs.clear();
            locs.extend(s.locations.iter().map(|&l| locations[l as usize]));
            let id = self.stacks.intern(&locs);
            for ((samples, origin), &t) in out.iter_mut().zip(sample_types) {
                if value(t) != 0 {
                    samples.stack_ids.push(id);
                    samples.values.push(value(t));
                    origin.push(i as u32);
                }
            }
        }
        out
    }

    /// Interns every stack of `other` (with its symbols) into this db;
    /// returns the new id of each of `other`'s stack ids.
    pub fn absorb(&mut self, other: &SymbolDb) -> Vec<u32> {
        let map = self.symbols.add(&other.symbols.tables);
        let (parent, location) = other.stacks.parts();
        let mut ids = vec![EMPTY_STACK; parent.len()];
        for i in 1..parent.len() {
            ids[i] = self.stacks.child(ids[parent[i] as usize], map.locations[location[i] as usize]);
        }
        ids
    }

    /// The call tree of values given per stack id (`values[id]`).
    pub fn tree(&self, values: &[i64]) -> Tree {
        let mut tree = Tree::new();
        self.add_to_tree(&mut tree, values);
        tree
    }

    /// Adds values given per stack id (`values[id]`) to `tree`, placing
    /// only the stacks that carry a value; ids beyond the table are
    /// ignored.
    pub fn add_to_tree(&self, tree: &mut Tree, values: &[i64]) {
        let mut b = TreeBuilder::new(self, tree);
        for (id, &v) in values.iter().enumerate().take(self.stacks.len()) {
            if v > 0 {
                b.add(id as u32, v);
            }
        }
    }

    /// The call tree of one profile in stored form.
    pub fn tree_of(&self, samples: &StackSamples) -> Tree {
        let mut tree = Tree::new();
        let mut b = TreeBuilder::new(self, &mut tree);
        for (&id, &v) in samples.stack_ids.iter().zip(&samples.values) {
            if v > 0 {
                b.add(id, v);
            }
        }
        tree
    }
}

/// Adds stored samples of many profiles by stack id: the merge of the
/// query path, a dense array add per sample.
#[derive(Debug, Clone, Default)]
pub struct StackMerger {
    values: Vec<i64>,
}

impl StackMerger {
    pub fn add(&mut self, s: &StackSamples) {
        for (&id, &v) in s.stack_ids.iter().zip(&s.values) {
            let i = id as usize;
            if i >= self.values.len() {
                self.values.resize(i + 1, 0);
            }
            self.values[i] = self.values[i].saturating_add(v);
        }
    }

    /// Adds samples whose stack ids are translated through `ids` (as
    /// [`SymbolDb::absorb`] returns them); ids outside `ids` are skipped.
    pub fn add_mapped(&mut self, s: &StackSamples, ids: &[u32]) {
        for (&id, &v) in s.stack_ids.iter().zip(&s.values) {
            let Some(&to) = ids.get(id as usize) else { continue };
            let i = to as usize;
            if i >= self.values.len() {
                self.values.resize(i + 1, 0);
            }
            self.values[i] = self.values[i].saturating_add(v);
        }
    }

    /// Merged value per stack id.
    pub fn values(&self) -> &[i64] {
        &self.values
    }
}

/// Maps stack ids to tree nodes, memoising every stack it has placed.
struct TreeBuilder<'a> {
    db: &'a SymbolDb,
    tree: &'a mut Tree,
    node_of_stack: Vec<u32>,
    names_of_location: FxHashMap<u64, Vec<NameId>>,
}

impl<'a> TreeBuilder<'a> {
    fn new(db: &'a SymbolDb, tree: &'a mut Tree) -> Self {
        let mut node_of_stack = vec![u32::MAX; db.stacks.len()];
        node_of_stack[EMPTY_STACK as usize] = ROOT;
        TreeBuilder { db, tree, node_of_stack, names_of_location: FxHashMap::default() }
    }

    fn add(&mut self, stack: u32, value: i64) {
        let node = self.node(stack);
        self.tree.add_at(node, value);
    }

    /// The tree node of a stack: climbs to the nearest placed ancestor,
    /// then places the stacks below it.
    fn node(&mut self, stack: u32) -> u32 {
        let mut path = Vec::new();
        let mut s = stack;
        while self.node_of_stack[s as usize] == u32::MAX {
            path.push(s);
            s = self.db.stacks.node(s).0;
        }
        let mut n = self.node_of_stack[s as usize];
        for &s in path.iter().rev() {
            let loc = self.db.stacks.node(s).1;
            for name in self.location_names(loc) {
                n = self.tree.child(n, name);
            }
            self.node_of_stack[s as usize] = n;
        }
        n
    }

    fn location_names(&mut self, loc: u64) -> Vec<NameId> {
        if let Some(names) = self.names_of_location.get(&loc) {
            return names.clone();
        }
        let mut names = Vec::new();
        let tree = &mut *self.tree;
        self.db.symbols.tables.for_each_location_frame(loc, |f| names.push(tree.name_id(f)));
        self.names_of_location.insert(loc, names.clone());
        names
    }
}
