//! The workspace's dependency rules, read from ARCHITECTURE.md's
//! "Dependency rules" table, hold for the dependency graph `cargo metadata`
//! reports: every workspace crate depends (through normal dependencies,
//! transitively) only on the workspace crates its row allows, and its
//! dev-dependencies (with what they depend on) stay within the same row,
//! except the dev-only test helpers [`DEV_HELPERS`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::process::Command;

/// What a crate may depend on among workspace crates.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Any,
    Only(BTreeSet<String>),
}

/// Workspace crate -> the workspace crates it depends on directly.
type Graph = BTreeMap<String, BTreeSet<String>>;

const RULES_HEADING: &str = "## Dependency rules";
/// The golden-file helper and the Garage cluster harness: dev-dependencies
/// any crate's tests may use.
const DEV_HELPERS: [&str; 2] = ["kiln-golden", "kiln-testkit"];

/// The rules table under [`RULES_HEADING`]: rows of
/// `| `crate` | `dep`, `dep` |`, or `any`, or `none`.
fn parse_rules(markdown: &str) -> Result<BTreeMap<String, Allowed>, String> {
    let section = markdown.split_once(RULES_HEADING).ok_or(format!("no {RULES_HEADING:?} section"))?.1;
    let mut rules = BTreeMap::new();
    let rows = section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|'));
    for row in rows.skip(2) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [name, allowed, ..] = cells[..] else { return Err(format!("malformed row {row:?}")) };
        let names =
            |cell: &str| -> BTreeSet<String> { cell.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
        let crate_name = names(name).into_iter().next().ok_or(format!("row {row:?} names no crate"))?;
        let rule = if allowed.starts_with("any") { Allowed::Any } else { Allowed::Only(names(allowed)) };
        rules.insert(crate_name, rule);
    }
    if rules.is_empty() {
        return Err("the dependency rules table is empty".into());
    }
    Ok(rules)
}

/// Each workspace crate's dependencies of `kind` (`None` for normal ones,
/// `Some("dev")`) on other workspace crates.
fn workspace_graph(metadata: &serde_json::Value, kind: Option<&str>) -> Graph {
    let packages = metadata["packages"].as_array().expect("packages");
    let members: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut graph = Graph::new();
    for p in packages {
        let deps = p["dependencies"].as_array().expect("dependencies");
        let of_kind = deps.iter().filter(|d| d["kind"].as_str() == kind);
        let names = of_kind.filter_map(|d| d["name"].as_str()).filter(|n| members.contains(n));
        graph.insert(p["name"].as_str().expect("name").to_owned(), names.map(str::to_owned).collect());
    }
    graph
}

/// The path from `from` to every crate it reaches, breadth first (so each
/// path is a shortest one).
fn reachable(graph: &Graph, from: &str) -> BTreeMap<String, Vec<String>> {
    let mut paths = BTreeMap::from([(from.to_owned(), vec![from.to_owned()])]);
    let mut queue = VecDeque::from([from.to_owned()]);
    while let Some(at) = queue.pop_front() {
        for dep in graph.get(&at).into_iter().flatten() {
            if !paths.contains_key(dep) {
                let mut path = paths[&at].clone();
                path.push(dep.clone());
                paths.insert(dep.clone(), path);
                queue.push_back(dep.clone());
            }
        }
    }
    paths.remove(from);
    paths
}

/// Every broken rule, each naming the path that breaks it.
fn violations(graph: &Graph, rules: &BTreeMap<String, Allowed>) -> Vec<String> {
    let mut out = Vec::new();
    for name in graph.keys() {
        let Some(rule) = rules.get(name) else {
            out.push(format!("{name} has no row in ARCHITECTURE.md's dependency rules"));
            continue;
        };
        let Allowed::Only(allowed) = rule else { continue };
        for (dep, path) in reachable(graph, name) {
            if !allowed.contains(&dep) {
                out.push(format!("{name} must not depend on {dep}: {} ({})", path.join(" -> "), listed(allowed)));
            }
        }
    }
    out
}

/// Every dev-dependency that points where the crate's row does not allow,
/// directly or through the dev-dependency's own dependencies (which the
/// crate's tests link too), so a dev-dependency cycle is refused.
fn dev_violations(normal: &Graph, dev: &Graph, rules: &BTreeMap<String, Allowed>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, dev_deps) in dev {
        let Some(Allowed::Only(allowed)) = rules.get(name) else { continue };
        let mut paths = BTreeMap::new();
        for dep in dev_deps.iter().filter(|d| !DEV_HELPERS.contains(&d.as_str())) {
            paths.entry(dep.clone()).or_insert_with(|| vec![dep.clone()]);
            for (reached, path) in reachable(normal, dep) {
                paths.entry(reached).or_insert(path);
            }
        }
        for (dep, path) in paths.into_iter().filter(|(dep, _)| !allowed.contains(dep)) {
            let path = format!("{name} -(dev)-> {}", path.join(" -> "));
            out.push(format!("{name} must not dev-depend on {dep}: {path} ({})", listed(allowed)));
        }
    }
    out
}

/// `allowed: a, b`, or `allowed: none`.
fn listed(allowed: &BTreeSet<String>) -> String {
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    format!("allowed: {}", if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") })
}

#[test]
fn the_workspace_keeps_the_dependency_rules_of_architecture_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let rules = parse_rules(&doc).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let metadata = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let (graph, dev) = (workspace_graph(&metadata, None), workspace_graph(&metadata, Some("dev")));
    assert!(graph.contains_key("kiln-api") && graph.contains_key("kiln-store"), "{graph:?}");
    assert!(dev["kiln-server"].contains("kiln-api"), "dev-dependencies are read: {dev:?}");
    let mut broken = violations(&graph, &rules);
    broken.extend(dev_violations(&graph, &dev, &rules));
    assert!(broken.is_empty(), "dependency rules broken:\n{}", broken.join("\n"));
}

const SAMPLE_RULES: &str = "\
## Dependency rules

| crate | may depend on |
|---|---|
| `kiln-model` | none |
| `kiln-store` | `kiln-model` |
| `kiln-query` | `kiln-store`, `kiln-model` |
| `kiln-api` | `kiln-model` |
| `kiln` | any workspace crate |
";

fn graph(edges: &[(&str, &[&str])]) -> Graph {
    edges.iter().map(|(n, deps)| (n.to_string(), deps.iter().map(|d| d.to_string()).collect())).collect()
}

#[test]
fn the_rules_table_is_read_from_markdown() {
    let rules = parse_rules(SAMPLE_RULES).unwrap();
    assert_eq!(rules["kiln-model"], Allowed::Only(BTreeSet::new()));
    assert_eq!(rules["kiln-query"], Allowed::Only(["kiln-model".to_owned(), "kiln-store".to_owned()].into()));
    assert_eq!(rules["kiln"], Allowed::Any);
    assert!(parse_rules("# no table here").is_err());
}

#[test]
fn kiln_api_depending_on_kiln_store_is_refused_with_the_path() {
    let rules = parse_rules(SAMPLE_RULES).unwrap();
    let layered = [
        ("kiln-model", &[][..]),
        ("kiln-store", &["kiln-model"][..]),
        ("kiln-query", &["kiln-store", "kiln-model"][..]),
        ("kiln-api", &["kiln-model"][..]),
        ("kiln", &["kiln-api", "kiln-query"][..]),
    ];
    assert_eq!(violations(&graph(&layered), &rules), Vec::<String>::new());

    let mut direct = layered;
    direct[3] = ("kiln-api", &["kiln-model", "kiln-store"][..]);
    assert_eq!(
        violations(&graph(&direct), &rules),
        ["kiln-api must not depend on kiln-store: kiln-api -> kiln-store (allowed: kiln-model)"]
    );

    let mut transitive = layered;
    transitive[3] = ("kiln-api", &["kiln-model", "kiln-query"][..]);
    assert_eq!(
        violations(&graph(&transitive), &rules),
        [
            "kiln-api must not depend on kiln-query: kiln-api -> kiln-query (allowed: kiln-model)",
            "kiln-api must not depend on kiln-store: kiln-api -> kiln-query -> kiln-store (allowed: kiln-model)",
        ]
    );
}

#[test]
fn a_crate_without_a_rule_is_refused() {
    let rules = parse_rules(SAMPLE_RULES).unwrap();
    let broken = violations(&graph(&[("kiln-new", &["kiln-model"][..]), ("kiln-model", &[][..])]), &rules);
    assert_eq!(broken, ["kiln-new has no row in ARCHITECTURE.md's dependency rules"]);
}

#[test]
fn a_dev_dependency_cycle_is_refused_and_the_golden_helper_allowed() {
    let rules = parse_rules(SAMPLE_RULES).unwrap();
    let normal = graph(&[
        ("kiln-model", &[][..]),
        ("kiln-store", &["kiln-model"][..]),
        ("kiln-query", &["kiln-store", "kiln-model"][..]),
        ("kiln-api", &["kiln-model"][..]),
    ]);
    let down = graph(&[("kiln-query", &["kiln-store", "kiln-golden"][..]), ("kiln-model", &["kiln-golden"][..])]);
    assert_eq!(dev_violations(&normal, &down, &rules), Vec::<String>::new());

    let cycle = graph(&[("kiln-store", &["kiln-query"][..])]);
    assert_eq!(
        dev_violations(&normal, &cycle, &rules),
        [
            "kiln-store must not dev-depend on kiln-query: kiln-store -(dev)-> kiln-query (allowed: kiln-model)",
            "kiln-store must not dev-depend on kiln-store: kiln-store -(dev)-> kiln-query -> kiln-store \
             (allowed: kiln-model)",
        ]
    );
}
