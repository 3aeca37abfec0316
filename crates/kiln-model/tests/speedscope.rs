//! speedscope import and export: py-spy's real output, round trips and
//! malformed files.

use std::collections::BTreeMap;

use kiln_model::{speedscope, ErrorKind, Position, Profile, ProfileBuilder, Tree};
use proptest::prelude::*;

const PY_SPY: &[u8] = include_bytes!("fixtures/py-spy/hot.speedscope.json");
const PY_SPY_RAW: &str = include_str!("fixtures/py-spy/hot.raw.txt");

/// Self value per function (the stack's last frame) and the total.
fn self_by_function(stacks: &BTreeMap<String, i64>) -> (BTreeMap<String, i64>, i64) {
    let mut by_function = BTreeMap::new();
    for (stack, v) in stacks {
        let leaf = stack.rsplit(';').next().unwrap();
        *by_function.entry(leaf.to_owned()).or_insert(0) += v;
    }
    (by_function, stacks.values().sum())
}

fn folded(p: &Profile, sample_type: usize) -> BTreeMap<String, i64> {
    Tree::from_profile(p, sample_type).folded_map()
}

#[test]
fn py_spy_speedscope_hot_loop_has_the_largest_self_share() {
    let p = speedscope::decode(PY_SPY).unwrap();
    assert_eq!(p.value_type(p.sample_types[0]), ("cpu", "nanoseconds"));
    let (by_function, total) = self_by_function(&folded(&p, 0));
    let (hottest, hot) = by_function.iter().max_by_key(|(_, v)| **v).unwrap();
    assert_eq!(hottest, "hot_loop");
    assert!(*hot as f64 / total as f64 > 0.6, "hot_loop self share {hot}/{total}");
    // 100 Hz for about 2 s: each sample weighs 0.01 s = 10 ms.
    assert_eq!(total % 10_000_000, 0);
    assert!((150..=250).contains(&(total / 10_000_000)), "total {total} ns");
}

#[test]
fn py_spy_speedscope_keeps_frame_files_and_lines() {
    let p = speedscope::decode(PY_SPY).unwrap();
    let hot = p.functions.iter().find(|f| p.str(f.name) == "hot_loop").unwrap();
    assert!(p.str(hot.filename).ends_with("hot.py"));
    let hot_index = p.functions.iter().position(|f| f == hot).unwrap() as u32;
    let mut lines: Vec<i64> =
        p.locations.iter().flat_map(|l| &l.lines).filter(|l| l.function == hot_index).map(|l| l.line).collect();
    lines.sort_unstable();
    assert_eq!(lines, [7, 8], "hot_loop's two sampled lines");
}

#[test]
fn py_spy_raw_and_speedscope_runs_agree_on_the_hot_share() {
    let p = speedscope::decode(PY_SPY).unwrap();
    let (speedscope_self, speedscope_total) = self_by_function(&folded(&p, 0));
    let mut raw_self = BTreeMap::new();
    for line in PY_SPY_RAW.lines() {
        let (stack, count) = line.rsplit_once(' ').unwrap();
        let leaf = stack.rsplit(';').next().unwrap();
        let function = leaf.split(" (").next().unwrap();
        *raw_self.entry(function.to_owned()).or_insert(0) += count.parse::<i64>().unwrap();
    }
    let raw_total: i64 = raw_self.values().sum();
    assert_eq!(raw_self.keys().collect::<Vec<_>>(), speedscope_self.keys().collect::<Vec<_>>());
    for (function, raw) in &raw_self {
        let a = *raw as f64 / raw_total as f64;
        let b = speedscope_self[function] as f64 / speedscope_total as f64;
        assert!((a - b).abs() < 0.1, "{function}: raw share {a:.3}, speedscope share {b:.3}");
    }
}

#[test]
fn speedscope_encode_then_decode_keeps_every_stack() {
    let p = speedscope::decode(PY_SPY).unwrap();
    let json = speedscope::encode(&p, 0, "hot.py");
    assert!(json.contains("\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
    let again = speedscope::decode(json.as_bytes()).unwrap();
    assert_eq!(again.value_type(again.sample_types[0]), ("cpu", "nanoseconds"));
    assert_eq!(folded(&again, 0), folded(&p, 0));
}

#[test]
fn speedscope_export_is_the_file_format_speedscope_opens() {
    let mut b = ProfileBuilder::new(&[("alloc_space", "bytes")], ("space", "bytes"), 0);
    b.add_stack(&["main", "alloc"], &[512]);
    b.add_stack(&["main"], &[0]);
    let v: serde_json::Value = serde_json::from_str(&speedscope::encode(&b.build(), 0, "heap")).unwrap();
    assert_eq!(v["$schema"], "https://www.speedscope.app/file-format-schema.json");
    assert_eq!(v["shared"]["frames"], serde_json::json!([{"name": "main"}, {"name": "alloc"}]));
    let profile = &v["profiles"][0];
    assert_eq!(profile["type"], "sampled");
    assert_eq!(profile["unit"], "bytes");
    assert_eq!(profile["samples"], serde_json::json!([[0, 1]]));
    assert_eq!(profile["weights"], serde_json::json!([512]));
    assert_eq!((profile["startValue"].as_i64(), profile["endValue"].as_i64()), (Some(0), Some(512)));
    assert_eq!(v["activeProfileIndex"], 0);
}

#[test]
fn speedscope_evented_and_sampled_profiles_merge_by_unit() {
    let json = br#"{"shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[
        {"type":"evented","name":"e","unit":"milliseconds","startValue":0,"endValue":10,"events":[
            {"type":"O","frame":0,"at":0},{"type":"O","frame":1,"at":2},{"type":"C","frame":1,"at":5},
            {"type":"C","frame":0,"at":10}]},
        {"type":"sampled","name":"s","unit":"microseconds","startValue":0,"endValue":1,"samples":[[0,1]],"weights":[1.5]},
        {"type":"sampled","name":"m","unit":"bytes","startValue":0,"endValue":1,"samples":[[1]],"weights":[64]}]}"#;
    let p = speedscope::decode(json).unwrap();
    assert_eq!(p.value_type(p.sample_types[0]), ("cpu", "nanoseconds"));
    assert_eq!(p.value_type(p.sample_types[1]), ("space", "bytes"));
    let cpu = BTreeMap::from([("a".to_owned(), 7_000_000), ("a;b".to_owned(), 3_001_500)]);
    assert_eq!(folded(&p, 0), cpu);
    assert_eq!(folded(&p, 1), BTreeMap::from([("b".to_owned(), 64)]));
}

#[test]
fn speedscope_accepts_gzip() {
    let p = speedscope::decode(&kiln_model::gzip::gzip(PY_SPY)).unwrap();
    assert_eq!(folded(&p, 0), folded(&speedscope::decode(PY_SPY).unwrap(), 0));
}

/// Decodes `json`, expecting a malformed-input error, and returns its byte
/// offset and message.
fn error_at(json: &str) -> (u64, String) {
    let e = speedscope::decode(json.as_bytes()).expect_err("malformed input is refused");
    assert_eq!((e.kind, e.format), (ErrorKind::Malformed, "speedscope"));
    match e.position {
        Position::Byte(b) => (b, e.message),
        p => panic!("expected a byte position, got {p:?} ({})", e.message),
    }
}

const FRAMES: &str = r#""shared":{"frames":[{"name":"a"},{"name":"b"}]}"#;

fn sampled(samples: &str, weights: &str) -> String {
    format!(
        r#"{{"type":"sampled","name":"p","unit":"none","startValue":0,"endValue":1,"samples":{samples},"weights":{weights}}}"#
    )
}

#[test]
fn speedscope_truncated_json_is_refused_at_its_end() {
    let full = format!(r#"{{{FRAMES},"profiles":[{}]}}"#, sampled("[[0,1]]", "[1]"));
    let cut = &full[..full.len() - 10];
    let (at, message) = error_at(cut);
    assert_eq!(at, cut.len() as u64, "{message}");
}

#[test]
fn speedscope_frame_index_out_of_range_is_refused_where_it_is() {
    let profiles = format!(r#""profiles":[{}]"#, sampled("[[0,1],[1,7]]", "[1,1]"));
    for json in [format!("{{{FRAMES},{profiles}}}"), format!("{{{profiles},{FRAMES}}}")] {
        let (at, message) = error_at(&json);
        assert!(message.contains("frame index 7"), "{message}");
        assert_eq!(&json[at as usize - 1..at as usize], "7", "points just past the index: {message}");
    }
}

#[test]
fn speedscope_negative_weight_is_refused_where_it_is() {
    let json = format!(r#"{{{FRAMES},"profiles":[{}]}}"#, sampled("[[0],[1]]", "[3,-2]"));
    let (at, message) = error_at(&json);
    assert!(message.contains("weight -2"), "{message}");
    assert!(json[..at as usize].ends_with("-2"), "points just past the weight: {message}");
}

#[test]
fn speedscope_structural_errors_are_refused_with_a_position() {
    let unclosed = r#""profiles":[{"type":"evented","unit":"none","events":[{"type":"O","frame":0,"at":0},{"type":"C","frame":1,"at":1}]}]"#;
    for (json, expected) in [
        (format!("{{{FRAMES},{unclosed}}}"), "not the open one"),
        (format!(r#"{{{FRAMES},"profiles":[{}]}}"#, sampled("[[0]]", "[1,2]")), "1 samples but 2 weights"),
        (
            format!(r#"{{{FRAMES},"profiles":[{}]}}"#, sampled("[[0]]", "[1]").replace("none", "furlongs")),
            "unknown unit",
        ),
        (FRAMES.replace("\"shared\":", "{\"profiles\":[],\"shared\":") + "}x", "trailing characters"),
        (r#"{"profiles":[]}"#.to_owned(), "missing field `shared`"),
        ("@@garbage".to_owned(), "expected value"),
        ("[1,2,3]".to_owned(), "invalid type"),
    ] {
        let (_, message) = error_at(&json);
        assert!(message.contains(expected), "{json}: {message}");
    }
}

/// A random profile of `frames`-named stacks with positive values.
fn random_profile() -> impl Strategy<Value = Profile> {
    let stack = proptest::collection::vec(0usize..6, 1..8);
    proptest::collection::vec((stack, 1i64..1_000_000_000_000), 0..40).prop_map(|stacks| {
        let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
        for (stack, value) in stacks {
            let names: Vec<String> = stack.iter().map(|i| format!("fn_{i};\"\\é")).collect();
            b.add_stack(&names, &[value]);
        }
        b.build()
    })
}

proptest! {
    #[test]
    fn speedscope_round_trip_keeps_every_random_stack(p in random_profile()) {
        let again = speedscope::decode(speedscope::encode(&p, 0, "random").as_bytes()).unwrap();
        prop_assert_eq!(folded(&again, 0), folded(&p, 0));
    }

    #[test]
    fn speedscope_never_panics_on_damaged_files(cut in 0usize..5000, byte in any::<u8>(), at in 0usize..5000) {
        let mut data = PY_SPY[..cut.min(PY_SPY.len())].to_vec();
        if let Some(b) = data.get_mut(at) {
            *b = byte;
        }
        let _ = speedscope::decode(&data);
    }
}
