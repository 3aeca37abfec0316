//! Two trees -> Connect `FlameGraphDiff`, as Pyroscope aligns them
//! (`pkg/model/flamegraph_diff.go`): both trees get the same node set
//! (a node missing on one side is there with zero values), then each node is
//! `[left_x_delta, left_total, left_self, right_x_delta, right_total,
//! right_self, name_index]`.

use crate::error::{Error, Result};
use crate::flamegraph::{left_to_right_deltas, NameTable, OTHER};
use crate::pb::querier::v1::{FlameGraphDiff, Level};
use crate::tree::{Tree, ROOT};

/// One node of the aligned pair of trees.
struct Pair<'a> {
    name: &'a str,
    left: (i64, i64),
    right: (i64, i64),
    children: Vec<usize>,
}

/// The two trees merged into one node set; `(self, total)` per side.
fn align<'a>(left: &'a Tree, right: &'a Tree) -> Vec<Pair<'a>> {
    let mut pairs = vec![Pair { name: "", left: (0, left.total()), right: (0, right.total()), children: vec![] }];
    let mut pending = vec![(0usize, Some(ROOT), Some(ROOT))];
    while let Some((p, l, r)) = pending.pop() {
        let lc = l.map(|n| left.sorted_children(n)).unwrap_or_default();
        let rc = r.map(|n| right.sorted_children(n)).unwrap_or_default();
        let (mut i, mut j) = (0, 0);
        while i < lc.len() || j < rc.len() {
            let ln = lc.get(i).map(|&c| left.name(left.node(c).name));
            let rn = rc.get(j).map(|&c| right.name(right.node(c).name));
            let (take_l, take_r) = match (ln, rn) {
                (Some(a), Some(b)) => (a <= b, b <= a),
                (Some(_), None) => (true, false),
                _ => (false, true),
            };
            let lnode = take_l.then(|| lc[i]);
            let rnode = take_r.then(|| rc[j]);
            let name = if take_l { ln.unwrap_or_default() } else { rn.unwrap_or_default() };
            let val = |t: &Tree, n: Option<u32>| n.map_or((0, 0), |n| (t.node(n).self_value, t.node(n).total));
            let idx = pairs.len();
            pairs.push(Pair { name, left: val(left, lnode), right: val(right, rnode), children: vec![] });
            pairs[p].children.push(idx);
            pending.push((idx, lnode, rnode));
            i += usize::from(take_l);
            j += usize::from(take_r);
        }
    }
    pairs
}

/// The `max_nodes`-th largest of `max(left_total, right_total)` over the
/// aligned nodes, the root included, as Pyroscope's `combineMinValues`.
fn min_value(pairs: &[Pair], max_nodes: i64) -> i64 {
    if max_nodes < 1 || pairs.len() as i64 <= max_nodes {
        return 0;
    }
    let mut v: Vec<i64> = pairs.iter().map(|p| p.left.1.max(p.right.1)).collect();
    let (_, kth, _) = v.select_nth_unstable_by(max_nodes as usize - 1, |a, b| b.cmp(a));
    *kth
}

/// A node waiting to be laid out: an aligned pair, or (`pair: None`) a
/// synthetic `other` whose `(self, total)` per side is given.
struct Pending {
    pair: Option<usize>,
    left: (i64, i64),
    right: (i64, i64),
    lx: i64,
    rx: i64,
    level: usize,
}

/// The diff flame graph of `left` (baseline) and `right` (comparison).
/// Trees with negative values are refused, as Pyroscope does.
pub fn flame_graph_diff(left: &Tree, right: &Tree, max_nodes: i64) -> Result<FlameGraphDiff> {
    for (side, t) in [("left", left), ("right", right)] {
        if (0..t.len() as u32).any(|n| t.node(n).self_value < 0) {
            return Err(Error::invalid("flame graph diff", format!("{side} tree has negative values")));
        }
    }
    let pairs = align(left, right);
    let min_value = min_value(&pairs, max_nodes);
    let mut names = NameTable::default();
    let mut levels: Vec<Vec<i64>> = Vec::new();
    let mut max_self = 0i64;
    let mut pending = vec![Pending { pair: Some(0), left: (0, 0), right: (0, 0), lx: 0, rx: 0, level: 0 }];
    while let Some(Pending { pair: p, left: lv, right: rv, lx, rx, level }) = pending.pop() {
        let (name, (ls, lt), (rs, rt)) = match p {
            Some(i) => (pairs[i].name, pairs[i].left, pairs[i].right),
            None => (OTHER, lv, rv),
        };
        max_self = max_self.max(ls).max(rs);
        let ni = names.index(name);
        if level == levels.len() {
            levels.push(Vec::new());
        }
        levels[level].extend_from_slice(&[lx, lt, ls, rx, rt, rs, ni]);
        let Some(i) = p else { continue };
        let (mut clx, mut crx) = (lx.saturating_add(ls), rx.saturating_add(rs));
        let (mut ol, mut or) = (0i64, 0i64);
        for &c in &pairs[i].children {
            let (l, r) = (pairs[c].left, pairs[c].right);
            if l.1 >= min_value || r.1 >= min_value {
                pending.push(Pending { pair: Some(c), left: l, right: r, lx: clx, rx: crx, level: level + 1 });
                clx = clx.saturating_add(l.1);
                crx = crx.saturating_add(r.1);
            } else {
                ol = ol.saturating_add(l.1);
                or = or.saturating_add(r.1);
            }
        }
        if ol != 0 || or != 0 {
            pending.push(Pending { pair: None, left: (ol, ol), right: (or, or), lx: clx, rx: crx, level: level + 1 });
        }
    }
    Ok(FlameGraphDiff {
        names: names.names,
        levels: levels.into_iter().map(|l| Level { values: left_to_right_deltas(l, 7, &[0, 3]) }).collect(),
        total: left.total().saturating_add(right.total()),
        max_self,
        left_ticks: left.total(),
        right_ticks: right.total(),
    })
}
