//! Stored stacks merged across tables and turned back into a pprof-shaped
//! profile that keeps what was ingested: each stack's locations with their
//! addresses, mappings, functions, files and lines, not frame names only.
//! Only the stacks that carry a value (and their callers) are interned.

use std::cmp::Reverse;

use crate::builder::ProfileBuilder;
use crate::profile::{Profile, Sample};
use crate::stacks::{SymbolDb, EMPTY_STACK};

impl SymbolDb {
    /// Interns the stacks of `other` that carry a positive value in
    /// `values` (indexed by `other`'s stack ids; ids beyond its table are
    /// ignored), with their callers and symbols; returns each one's id in
    /// this db beside its value.
    pub fn add_used_stacks(&mut self, other: &SymbolDb, values: &[i64]) -> Vec<(u32, i64)> {
        let map = self.symbols.add(&other.symbols.tables);
        let mut ids = vec![u32::MAX; other.stacks.len()];
        ids[EMPTY_STACK as usize] = EMPTY_STACK;
        let mut out = Vec::new();
        let mut path = Vec::new();
        for (id, &v) in values.iter().enumerate().take(other.stacks.len()) {
            if v <= 0 {
                continue;
            }
            // Climb to the nearest stack already interned, then intern down.
            let mut s = id as u32;
            while ids[s as usize] == u32::MAX {
                path.push(s);
                s = other.stacks.node(s).0;
            }
            let mut here = ids[s as usize];
            while let Some(s) = path.pop() {
                here = self.stacks.child(here, map.locations[other.stacks.node(s).1 as usize]);
                ids[s as usize] = here;
            }
            out.push((here, v));
        }
        out
    }

    /// A profile over this db's tables with one sample per stack whose
    /// value in `values` (by stack id) is positive, one value per sample.
    /// Sample and period types, times and period are left to the caller.
    pub fn to_profile(&self, values: &[i64]) -> Profile {
        let mut p = self.symbols.tables.clone();
        p.samples = values
            .iter()
            .enumerate()
            .take(self.stacks.len())
            .filter(|&(_, &v)| v > 0)
            .map(|(id, &v)| Sample { locations: self.leaf_first(id as u32), values: vec![v], labels: Vec::new() })
            .collect();
        p
    }

    /// `values` (by stack id) cut to at most `max_nodes` stacks, as
    /// Pyroscope folds a tree into `other`: the stacks with the largest
    /// totals (their value and their callees') are kept, and the value of
    /// each other stack goes to an `other` frame under its deepest kept
    /// caller.
    pub fn truncate_values(&mut self, values: &[i64], max_nodes: usize) -> Vec<i64> {
        let n = self.stacks.len();
        let mut total = vec![0i64; n];
        for id in (1..n).rev() {
            total[id] = total[id].saturating_add(values.get(id).copied().unwrap_or(0).max(0));
            let parent = self.stacks.node(id as u32).0 as usize;
            total[parent] = total[parent].saturating_add(total[id]);
        }
        let mut order: Vec<usize> = (1..n).filter(|&i| total[i] > 0).collect();
        if order.len() <= max_nodes {
            return values.to_vec();
        }
        // Callers have totals at least their callees', so by (total, id)
        // every kept stack's caller comes first.
        order.sort_by_key(|&i| (Reverse(total[i]), i));
        let mut keep = vec![false; n];
        keep[EMPTY_STACK as usize] = true;
        for &i in order.iter().take(max_nodes) {
            keep[i] = keep[self.stacks.node(i as u32).0 as usize];
        }
        let other = self.other_location();
        let mut out = vec![0i64; n];
        for (id, &v) in values.iter().enumerate().take(n).filter(|&(_, &v)| v > 0) {
            let mut kept = id as u32;
            while !keep[kept as usize] {
                kept = self.stacks.node(kept).0;
            }
            let at = if kept as usize == id { kept } else { self.stacks.child(kept, other) };
            if out.len() <= at as usize {
                out.resize(at as usize + 1, 0);
            }
            out[at as usize] = out[at as usize].saturating_add(v);
        }
        out
    }

    /// The location of a frame named `other`, interned.
    fn other_location(&mut self) -> u64 {
        let mut b = ProfileBuilder::new(&[("", "")], ("", ""), 0);
        b.add_stack(&["other"], &[1]);
        self.symbols.add(&b.build()).locations[0]
    }

    /// A stack's locations, leaf first.
    pub fn leaf_first(&self, mut stack: u32) -> Vec<u64> {
        let mut locations = Vec::new();
        while stack != EMPTY_STACK {
            let (parent, location) = self.stacks.node(stack);
            locations.push(location);
            stack = parent;
        }
        locations
    }
}

#[cfg(test)]
mod tests {
    use crate::builder::ProfileBuilder;
    use crate::tree::Tree;

    use super::*;

    fn db_of(stacks: &[(&str, i64)]) -> (SymbolDb, Vec<i64>) {
        let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 1);
        for (s, v) in stacks {
            b.add_stack(&s.split(';').collect::<Vec<_>>(), &[*v]);
        }
        let mut db = SymbolDb::default();
        let samples = db.add_profile(&b.build(), 0);
        let mut values = vec![0; db.stacks.len()];
        for (&id, &v) in samples.stack_ids.iter().zip(&samples.values) {
            values[id as usize] += v;
        }
        (db, values)
    }

    #[test]
    fn used_stacks_of_two_tables_merge_into_one_profile_by_location() {
        let (a, av) = db_of(&[("main;work;hash", 5), ("main;idle", 2)]);
        let (b, mut bv) = db_of(&[("main;work;hash", 1), ("main;unused;deep", 7)]);
        // A stack of `b` with no value in the range is not interned.
        let unused = (0..b.stacks.len()).find(|&i| bv[i] == 7).unwrap();
        bv[unused] = 0;
        let mut out = SymbolDb::default();
        let mut values = vec![0i64; 0];
        for (id, v) in out.add_used_stacks(&a, &av).into_iter().chain(out.add_used_stacks(&b, &bv)) {
            if values.len() <= id as usize {
                values.resize(id as usize + 1, 0);
            }
            values[id as usize] += v;
        }
        let p = out.to_profile(&values);
        let folded = Tree::from_profile(&p, 0).folded_map();
        assert_eq!(folded, [("main;idle".to_owned(), 2), ("main;work;hash".to_owned(), 6)].into());
        assert_eq!(out.stacks.len(), 5, "only used stacks are interned: root, main, work, hash, idle");
    }

    #[test]
    fn truncation_folds_the_smallest_stacks_into_other_under_their_kept_caller() {
        let (mut db, values) = db_of(&[("main;a;x", 50), ("main;a;y", 1), ("main;b", 2), ("main;c", 40)]);
        // Totals: main 93, a 51, x 50, c 40, b 2, y 1: four nodes keep main, a, x, c.
        let cut = db.truncate_values(&values, 4);
        let folded = Tree::from_profile(&db.to_profile(&cut), 0).folded_map();
        let want = [("main;a;x", 50), ("main;a;other", 1), ("main;other", 2), ("main;c", 40)];
        assert_eq!(folded, want.iter().map(|&(k, v)| (k.to_owned(), v)).collect());
        assert_eq!(db.truncate_values(&values, 7), values, "nothing is cut when every stack fits");
    }
}
