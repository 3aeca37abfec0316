//! Golden files for every output format. `KILN_BLESS=1` rewrites them.

use std::path::PathBuf;

use kiln_model::convert::{convert, ConvertOptions, OutputFormat};
use kiln_model::{flamebearer, flamegraph, folded, pprof, tree_format, trie, ProfileType, Tree};

const INPUT: &[u8] = include_bytes!("golden/input.folded");
const GO_CPU: &[u8] = include_bytes!("fixtures/go/cpu.pb.gz");

fn check(name: &str, actual: &[u8]) {
    kiln_golden::check(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name), actual);
}

fn input_tree() -> Tree {
    Tree::from_profile(&folded::decode(INPUT).unwrap(), 0)
}

fn cpu_type() -> ProfileType {
    ProfileType::parse("process_cpu:samples:count:cpu:nanoseconds").unwrap()
}

#[test]
fn golden_folded() {
    check("input.folded.out", folded::encode_tree(&input_tree()).as_bytes());
}

#[test]
fn golden_pprof() {
    check("input.pprof", &pprof::encode(&folded::decode(INPUT).unwrap()));
}

#[test]
fn golden_flamebearer_full_and_truncated() {
    for (max_nodes, name) in [(0, "input.flamebearer.json"), (6, "input.max6.flamebearer.json")] {
        let fg = flamegraph::flame_graph(&input_tree(), max_nodes);
        check(name, flamebearer::to_json(&flamebearer::single(&fg, &cpu_type())).as_bytes());
    }
}

#[test]
fn golden_tree_and_trie_bodies() {
    check("input.tree.bin", &tree_format::encode(&input_tree(), 0));
    check("input.max6.tree.bin", &tree_format::encode(&input_tree(), 6));
    check("input.trie.bin", &trie::encode(&input_tree()));
}

#[test]
fn golden_convert_of_a_real_go_profile() {
    let opts = |to| ConvertOptions { from: None, to, profile: None, sample_type: None, max_nodes: 8192 };
    check("go-cpu.folded", &convert(GO_CPU, &opts(OutputFormat::Folded)).unwrap());
    check("go-cpu.flamebearer.json", &convert(GO_CPU, &opts(OutputFormat::Flamebearer)).unwrap());
    check("go-cpu.speedscope.json", &convert(GO_CPU, &opts(OutputFormat::Speedscope)).unwrap());
}
