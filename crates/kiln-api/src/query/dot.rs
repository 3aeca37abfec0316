//! `format=dot` of `/pyroscope/render`: a Graphviz call graph of a merged
//! profile in the spirit of `pprof -dot`. One node per function (self and
//! total), one edge per caller -> callee pair, the `max_nodes` functions
//! with the largest totals kept.

use std::collections::BTreeMap;
use std::fmt::Write;

use kiln_model::top::top_table;
use kiln_model::tree::{Tree, ROOT};

/// Functions kept when the request does not say (Pyroscope's default).
pub const DEFAULT_DOT_NODES: usize = 100;

/// The Graphviz text of `tree`, values in `unit`; empty when the tree has
/// no samples (Pyroscope answers an empty body then).
pub fn dot(tree: &Tree, title: &str, unit: &str, max_nodes: usize) -> String {
    let total = tree.total();
    if total <= 0 {
        return String::new();
    }
    let mut rows = top_table(tree);
    rows.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    rows.truncate(max_nodes.max(1));
    let ids: BTreeMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.name.as_str(), i + 1)).collect();
    let max_self = rows.iter().map(|r| r.self_value).max().unwrap_or(0).max(1);
    let shown: i64 = rows.iter().map(|r| r.self_value).sum();
    let mut out = String::from("digraph \"unnamed\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n");
    let legend = format!(
        "{}\\lShowing {} nodes accounting for {}, {} of {} total\\l",
        escape(title),
        rows.len(),
        value(shown, unit),
        percent(shown, total),
        value(total, unit)
    );
    let _ = writeln!(out, "subgraph cluster_L {{ \"{legend}\" [shape=box fontsize=16 label=\"{legend}\"] }}");
    for (i, r) in rows.iter().enumerate() {
        let name = escape(&r.name);
        let size = 8 + (16 * r.self_value.max(0) / max_self);
        let _ = writeln!(
            out,
            "N{id} [label=\"{name}\\n{s} ({sp})\\nof {t} ({tp})\" id=\"node{id}\" fontsize={size} shape=box tooltip=\"{name} ({t})\" color=\"{c}\" fillcolor=\"{f}\"]",
            id = i + 1,
            s = value(r.self_value, unit),
            sp = percent(r.self_value, total),
            t = value(r.total, unit),
            tp = percent(r.total, total),
            c = heat(r.total, total, 0.7),
            f = heat(r.total, total, 0.15),
        );
    }
    for ((from, to), weight) in edges(tree, &ids) {
        let _ = writeln!(
            out,
            "N{from} -> N{to} [label=\" {w}\" weight={pw} penwidth={pen:.1} color=\"{c}\"]",
            w = value(weight, unit),
            pw = (100 * weight / total).max(1),
            pen = 1.0 + 4.0 * weight as f64 / total as f64,
            c = heat(weight, total, 0.7),
        );
    }
    out.push_str("}\n");
    out
}

/// Caller -> callee totals between kept functions, by node id.
fn edges(tree: &Tree, ids: &BTreeMap<&str, usize>) -> BTreeMap<(usize, usize), i64> {
    let mut out = BTreeMap::new();
    for n in 1..tree.len() as u32 {
        let node = tree.node(n);
        if node.parent == ROOT {
            continue;
        }
        let caller = tree.name(tree.node(node.parent).name);
        let (Some(&from), Some(&to)) = (ids.get(caller), ids.get(tree.name(node.name))) else { continue };
        let e = out.entry((from, to)).or_insert(0i64);
        *e = e.saturating_add(node.total);
    }
    out
}

/// A value in its unit: s/ms/us/ns for nanoseconds, B/kB/MB/GB for bytes.
fn value(v: i64, unit: &str) -> String {
    let f = v as f64;
    match unit {
        "nanoseconds" => match v.unsigned_abs() {
            x if x >= 1_000_000_000 => format!("{:.2}s", f / 1e9),
            x if x >= 1_000_000 => format!("{:.2}ms", f / 1e6),
            x if x >= 1_000 => format!("{:.2}us", f / 1e3),
            _ => format!("{v}ns"),
        },
        "bytes" => {
            let (scaled, suffix) = match v.unsigned_abs() {
                x if x >= 1 << 30 => (f / (1u64 << 30) as f64, "GB"),
                x if x >= 1 << 20 => (f / (1u64 << 20) as f64, "MB"),
                x if x >= 1 << 10 => (f / 1024.0, "kB"),
                _ => return format!("{v}B"),
            };
            format!("{scaled:.2}{suffix}")
        }
        _ => v.to_string(),
    }
}

fn percent(v: i64, total: i64) -> String {
    format!("{:.2}%", 100.0 * v as f64 / total.max(1) as f64)
}

/// Red for hot, grey for cold, at `saturation` (border vs fill).
fn heat(v: i64, total: i64, saturation: f64) -> String {
    let share = (v as f64 / total.max(1) as f64).clamp(0.0, 1.0);
    let s = share * saturation;
    let (r, g, b) = (0.8 + 0.2 * s, 0.8 - 0.8 * s, 0.8 - 0.8 * s);
    format!("#{:02x}{:02x}{:02x}", (r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

/// A Graphviz double-quoted string body.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
