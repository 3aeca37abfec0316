//! pprof decoding and encoding against real Go and Node.js profiles, a
//! reference made by `go tool pprof`, generated profiles, and bad input.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use kiln_model::gzip::gunzip;
use kiln_model::pb::google::v1 as pb;
use kiln_model::{pprof, ErrorKind, Label, Profile, ProfileBuilder, Tree};
use proptest::prelude::*;
use prost::Message;

const GO_CPU: &[u8] = include_bytes!("fixtures/go/cpu.pb.gz");
const GO_HEAP: &[u8] = include_bytes!("fixtures/go/heap.pb.gz");
const GO_MUTEX: &[u8] = include_bytes!("fixtures/go/mutex.pb.gz");
const GO_BLOCK: &[u8] = include_bytes!("fixtures/go/block.pb.gz");
const GO_CPU_EXPECTED: &str = include_str!("fixtures/go/cpu.expected.json");
const GO_MUTEX_EXPECTED: &str = include_str!("fixtures/go/mutex.expected.json");
const NODE_WALL: &[u8] = include_bytes!("fixtures/node/wall.pb.gz");
const NODE_HEAP: &[u8] = include_bytes!("fixtures/node/heap.pb.gz");

const FIXTURES: [(&str, &[u8]); 6] = [
    ("go/cpu", GO_CPU),
    ("go/heap", GO_HEAP),
    ("go/mutex", GO_MUTEX),
    ("go/block", GO_BLOCK),
    ("node/wall", NODE_WALL),
    ("node/heap", NODE_HEAP),
];

fn decode(data: &[u8]) -> Profile {
    pprof::decode(data).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn sample_types(p: &Profile) -> Vec<(&str, &str)> {
    p.sample_types.iter().map(|&vt| p.value_type(vt)).collect()
}

fn type_index(p: &Profile, ty: &str) -> usize {
    p.sample_type_index(ty).unwrap_or_else(|| panic!("no sample type {ty}"))
}

/// The stack (root first, `;`-joined) with the largest self value.
fn heaviest_stack(p: &Profile, ty: &str) -> String {
    let folded = Tree::from_profile(p, type_index(p, ty)).folded_map();
    folded.into_iter().max_by_key(|(_, v)| *v).map(|(k, _)| k).expect("profile has stacks")
}

/// The function with the largest self value, counting each sample for the
/// function its leaf address belongs to (the location's last line), so
/// code inlined into a function counts for that function.
fn hottest_function(p: &Profile, ty: &str) -> String {
    let idx = type_index(p, ty);
    let mut self_by_function: BTreeMap<&str, i64> = BTreeMap::new();
    for s in &p.samples {
        let Some(&leaf) = s.locations.first() else { continue };
        if let Some(line) = p.locations[leaf as usize].lines.last() {
            *self_by_function.entry(p.function_name(line.function)).or_default() += s.values[idx];
        }
    }
    self_by_function.into_iter().max_by_key(|(_, v)| *v).map(|(k, _)| k.to_owned()).expect("profile has samples")
}

fn expected_folded(json: &str) -> BTreeMap<String, i64> {
    serde_json::from_str(json).expect("reference is a JSON object of stack -> value")
}

#[test]
fn go_cpu_profile_has_go_sample_types_and_burn_is_hot() {
    let p = decode(GO_CPU);
    assert_eq!(sample_types(&p), [("samples", "count"), ("cpu", "nanoseconds")]);
    assert_eq!(p.value_type(p.period_type), ("cpu", "nanoseconds"));
    assert_eq!(p.period, 10_000_000);
    assert!(p.duration_nanos > 1_000_000_000, "profiled for about 1.1 s");
    assert_eq!(hottest_function(&p, "cpu"), "main.burn");
    assert!(heaviest_stack(&p, "cpu").ends_with(";main.main.func1;main.burn;main.step"));
}

#[test]
fn go_cpu_stacks_equal_the_go_tool_pprof_reference() {
    let p = decode(GO_CPU);
    let tree = Tree::from_profile(&p, type_index(&p, "cpu"));
    assert_eq!(tree.folded_map(), expected_folded(GO_CPU_EXPECTED));
}

#[test]
fn go_mutex_stacks_with_inlined_frames_equal_the_go_tool_pprof_reference() {
    let p = decode(GO_MUTEX);
    let tree = Tree::from_profile(&p, type_index(&p, "delay"));
    assert_eq!(tree.folded_map(), expected_folded(GO_MUTEX_EXPECTED));
}

#[test]
fn go_heap_profile_has_four_sample_types_and_allocate_is_hot() {
    let p = decode(GO_HEAP);
    let types =
        [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")];
    assert_eq!(sample_types(&p), types);
    assert_eq!(p.value_type(p.period_type), ("space", "bytes"));
    for (ty, _) in types {
        assert_eq!(hottest_function(&p, ty), "main.allocate", "{ty}");
    }
}

#[test]
fn go_mutex_profile_blames_unlock_inlined_into_the_contending_goroutine() {
    let p = decode(GO_MUTEX);
    assert_eq!(sample_types(&p), [("contentions", "count"), ("delay", "nanoseconds")]);
    assert_eq!(p.value_type(p.period_type), ("contentions", "count"));
    assert_eq!(hottest_function(&p, "delay"), "main.contend.func1");
    assert_eq!(heaviest_stack(&p, "delay"), "main.contend.func1;sync.(*Mutex).Unlock");
}

#[test]
fn go_block_profile_blames_the_channel_receive() {
    let p = decode(GO_BLOCK);
    assert_eq!(sample_types(&p), [("contentions", "count"), ("delay", "nanoseconds")]);
    assert_eq!(p.value_type(p.period_type), ("contentions", "count"));
    assert_eq!(hottest_function(&p, "delay"), "runtime.chanrecv2");
    assert_eq!(heaviest_stack(&p, "delay"), "runtime.main;main.main;main.waitOnChannel;runtime.chanrecv2");
}

#[test]
fn node_wall_profile_finds_hot_function() {
    let p = decode(NODE_WALL);
    assert_eq!(sample_types(&p), [("sample", "count"), ("wall", "nanoseconds")]);
    assert_eq!(p.value_type(p.period_type), ("wall", "nanoseconds"));
    assert_eq!(hottest_function(&p, "wall"), "hotFunction");
    assert!(heaviest_stack(&p, "wall").ends_with(";main;busyFor;hotFunction"));
}

#[test]
fn node_heap_profile_finds_hot_function() {
    let p = decode(NODE_HEAP);
    assert_eq!(sample_types(&p), [("inuse_objects", "count"), ("inuse_space", "bytes")]);
    assert_eq!(hottest_function(&p, "inuse_space"), "hotFunction");
}

#[test]
fn every_fixture_round_trips_through_encode_and_encode_gzip() {
    for (name, data) in FIXTURES {
        let p = decode(data);
        assert!(!p.samples.is_empty(), "{name} has samples");
        assert_eq!(decode(&pprof::encode(&p)), p, "{name} via encode");
        let gz = pprof::encode_gzip(&p);
        assert!(gz.starts_with(&[0x1f, 0x8b]), "{name}: encode_gzip writes gzip");
        assert_eq!(decode(&gz), p, "{name} via encode_gzip");
    }
}

// ---- generated profiles ----

/// One generated sample: frame names root first, values, optional span
/// context and a numeric label.
#[derive(Debug, Clone)]
struct GenSample {
    stack: Vec<usize>,
    values: Vec<i64>,
    span: Option<(u64, u64)>,
    bytes: Option<i64>,
}

fn gen_sample(n_names: usize, n_types: usize) -> impl Strategy<Value = GenSample> {
    (
        prop::collection::vec(0..n_names, 1..8),
        prop::collection::vec(-1_000i64..1_000_000, n_types),
        prop::option::of((any::<u64>(), any::<u64>())),
        prop::option::of(any::<i64>()),
    )
        .prop_map(|(stack, values, span, bytes)| GenSample { stack, values, span, bytes })
}

fn gen_profile() -> impl Strategy<Value = (Vec<String>, usize, Vec<GenSample>)> {
    (prop::collection::btree_set("[a-zA-Z_.:$<>() é]{1,12}", 1..10), 1usize..=3).prop_flat_map(|(names, n_types)| {
        let names: Vec<String> = names.into_iter().collect();
        let samples = prop::collection::vec(gen_sample(names.len(), n_types), 0..40);
        (Just(names), Just(n_types), samples)
    })
}

fn labels(b: &mut ProfileBuilder, s: &GenSample) -> Vec<Label> {
    let mut labels = Vec::new();
    if let Some((span, trace)) = s.span {
        for (key, value) in [("span_id", format!("{span:016x}")), ("trace_id", format!("{trace:032x}"))] {
            labels.push(Label { key: b.intern(key), str: b.intern(&value), num: 0, num_unit: 0 });
        }
    }
    if let Some(bytes) = s.bytes {
        labels.push(Label { key: b.intern("bytes"), str: 0, num: bytes, num_unit: b.intern("bytes") });
    }
    labels
}

fn build(names: &[String], n_types: usize, samples: &[GenSample]) -> Profile {
    let types: Vec<(String, String)> = (0..n_types).map(|i| (format!("type{i}"), "count".to_owned())).collect();
    let types: Vec<(&str, &str)> = types.iter().map(|(t, u)| (t.as_str(), u.as_str())).collect();
    let mut b = ProfileBuilder::new(&types, ("type0", "count"), 1);
    b.set_time(1_700_000_000_000_000_000, 10_000_000_000);
    for s in samples {
        let leaf_first = s.stack.iter().rev().map(|&n| b.frame(&names[n])).collect();
        let labels = labels(&mut b, s);
        b.add_sample(leaf_first, &s.values, labels);
    }
    b.build()
}

/// Every stack's value per sample type, straight from the generated
/// samples. Like `ProfileBuilder`, label-less samples of one stack are one
/// sample (their values summed first); the tree keeps positive samples.
fn expected_stacks(names: &[String], samples: &[GenSample], ty: usize) -> BTreeMap<String, i64> {
    let key = |s: &GenSample| s.stack.iter().map(|&n| names[n].as_str()).collect::<Vec<_>>().join(";");
    let mut unlabelled: BTreeMap<String, i64> = BTreeMap::new();
    let mut m = BTreeMap::new();
    for s in samples {
        if s.span.is_none() && s.bytes.is_none() {
            *unlabelled.entry(key(s)).or_insert(0) += s.values[ty];
        } else if s.values[ty] > 0 {
            *m.entry(key(s)).or_insert(0) += s.values[ty];
        }
    }
    for (k, v) in unlabelled.into_iter().filter(|(_, v)| *v > 0) {
        *m.entry(k).or_insert(0) += v;
    }
    m
}

proptest! {
    #[test]
    fn generated_profiles_survive_encode_and_decode((names, n_types, samples) in gen_profile()) {
        let p = build(&names, n_types, &samples);
        let decoded = pprof::decode(&pprof::encode(&p)).expect("our own encoding decodes");
        prop_assert_eq!(&decoded, &p);
        prop_assert_eq!(&pprof::decode(&pprof::encode_gzip(&p)).expect("gzip decodes"), &p);
        for ty in 0..n_types {
            prop_assert_eq!(Tree::from_profile(&decoded, ty).folded_map(), expected_stacks(&names, &samples, ty));
        }
        let found: Vec<&str> = decoded.samples.iter().filter_map(|s| decoded.label_str(s, "span_id")).collect();
        let kept: Vec<String> = samples.iter().filter_map(|s| s.span).map(|(id, _)| format!("{id:016x}")).collect();
        prop_assert_eq!(found, kept);
    }
}

// ---- bad input ----

fn assert_pprof_error(result: kiln_model::Result<Profile>, needle: &str) {
    let err = result.expect_err("decoding must fail");
    assert_eq!(err.format, "pprof", "{err}");
    assert!(err.message.contains(needle), "message {:?} should mention {needle:?}", err.message);
}

/// The Go CPU fixture as a prost message, to break one thing at a time.
fn go_cpu_message() -> pb::Profile {
    let raw = gunzip("test", GO_CPU, 1 << 20).expect("fixture is gzip");
    pb::Profile::decode(raw.as_slice()).expect("fixture is a pprof message")
}

fn decode_message(msg: &pb::Profile) -> kiln_model::Result<Profile> {
    pprof::decode(&msg.encode_to_vec())
}

#[test]
fn every_truncation_of_a_gzipped_fixture_is_a_pprof_error() {
    for len in 2..GO_CPU.len() {
        let err = pprof::decode(&GO_CPU[..len]).expect_err("a truncated gzip stream must fail");
        assert_eq!(err.format, "pprof", "prefix {len}: {err}");
        assert!(err.message.starts_with("gzip: "), "prefix {len}: {err}");
    }
}

#[test]
fn truncations_of_a_raw_fixture_fail_or_decode_without_panicking() {
    let raw = gunzip("test", GO_CPU, 1 << 20).expect("fixture is gzip");
    let mut failures = 0;
    for len in 1..raw.len() {
        match pprof::decode(&raw[..len]) {
            Ok(p) => assert!(p.samples.len() <= decode(GO_CPU).samples.len()),
            Err(err) => {
                assert_eq!(err.format, "pprof", "prefix {len}: {err}");
                failures += 1;
            }
        }
    }
    assert!(failures * 10 > raw.len() * 9, "most prefixes cut a field or a reference: {failures}/{}", raw.len());
}

#[test]
fn a_sample_with_an_unknown_location_id_is_rejected() {
    let mut msg = go_cpu_message();
    msg.sample[0].location_id[0] = 999;
    assert_pprof_error(decode_message(&msg), "unknown location id 999");
}

#[test]
fn a_string_index_out_of_range_is_rejected() {
    let mut msg = go_cpu_message();
    let n = msg.string_table.len() as i64;
    msg.function[0].name = n;
    assert_pprof_error(decode_message(&msg), &format!("function name string index {n} out of range"));
}

#[test]
fn a_negative_string_index_is_rejected() {
    let mut msg = go_cpu_message();
    msg.sample_type[1].unit = -1;
    assert_pprof_error(decode_message(&msg), "string index -1 out of range");
}

#[test]
fn a_sample_with_the_wrong_number_of_values_is_rejected() {
    let mut msg = go_cpu_message();
    msg.sample[2].value.pop();
    assert_pprof_error(decode_message(&msg), "sample 2 has 1 values, expected 2");
}

#[test]
fn a_non_empty_first_string_is_rejected() {
    let mut msg = go_cpu_message();
    msg.string_table[0] = "oops".into();
    assert_pprof_error(decode_message(&msg), "string_table[0]");
}

#[test]
fn repeated_location_ids_are_rejected() {
    let mut msg = go_cpu_message();
    msg.location[1].id = msg.location[0].id;
    assert_pprof_error(decode_message(&msg), "location id 1 is zero or repeated");
}

#[test]
fn a_zero_function_id_is_rejected() {
    let mut msg = go_cpu_message();
    msg.function[0].id = 0;
    assert_pprof_error(decode_message(&msg), "function id 0 is zero or repeated");
}

#[test]
fn an_unknown_mapping_id_is_rejected() {
    let mut msg = go_cpu_message();
    msg.location[0].mapping_id = 42;
    assert_pprof_error(decode_message(&msg), "unknown mapping id 42");
}

#[test]
fn sparse_ids_in_any_order_decode_like_dense_ones() {
    let mut msg = go_cpu_message();
    let sparse = |id: u64| id * 1000 + 7;
    for s in &mut msg.sample {
        s.location_id.iter_mut().for_each(|id| *id = sparse(*id));
    }
    for l in &mut msg.location {
        l.id = sparse(l.id);
        l.line.iter_mut().for_each(|ln| ln.function_id = sparse(ln.function_id));
    }
    msg.function.iter_mut().for_each(|f| f.id = sparse(f.id));
    msg.location.reverse();
    msg.function.reverse();
    let p = decode_message(&msg).expect("sparse ids are valid pprof");
    let tree = Tree::from_profile(&p, type_index(&p, "cpu"));
    assert_eq!(tree.folded_map(), expected_folded(GO_CPU_EXPECTED));
}

#[test]
fn garbage_is_a_pprof_error() {
    assert_pprof_error(pprof::decode(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), "invalid varint");
    assert_pprof_error(pprof::decode(&[0x1f]), "invalid wire type");
    assert_pprof_error(pprof::decode(&[0x1f, 0x8b, 0, 0, 0]), "gzip");
}

/// `len` zero bytes, gzipped by streaming so the input is never held.
fn gzipped_zeros(len: usize) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).expect("writing to a Vec cannot fail");
        left -= n;
    }
    enc.finish().expect("writing to a Vec cannot fail")
}

#[test]
fn a_gzip_bomb_over_the_default_limit_is_too_large() {
    let bomb = gzipped_zeros(300 << 20);
    assert!(bomb.len() < 2 << 20, "300 MiB of zeros compress to {} bytes", bomb.len());
    let err = pprof::decode(&bomb).expect_err("over 256 MiB decompressed");
    assert_eq!((err.kind, err.format), (ErrorKind::TooLarge, "pprof"), "{err}");
}

#[test]
fn decode_with_limit_refuses_more_than_the_limit() {
    let err = pprof::decode_with_limit(&gzipped_zeros(1 << 20), 64 << 10).expect_err("over the limit");
    assert_eq!((err.kind, err.format), (ErrorKind::TooLarge, "pprof"), "{err}");
    let raw = pprof::encode(&decode(GO_CPU));
    let err = pprof::decode_with_limit(&raw, raw.len() - 1).expect_err("uncompressed input over the limit");
    assert_eq!((err.kind, err.format), (ErrorKind::TooLarge, "pprof"), "{err}");
    assert_eq!(pprof::decode_with_limit(&raw, raw.len()).map(|p| p.samples.len()), Ok(decode(GO_CPU).samples.len()));
}

#[test]
fn non_utf8_symbol_names_are_kept_lossily_not_refused() {
    let mut msg = pb::Profile::decode(&pprof::encode(&pprof::decode(GO_CPU).unwrap())[..]).unwrap();
    let last = msg.string_table.len() - 1;
    msg.string_table[last] = vec![b'f', 0xff, b'n'];
    let p = pprof::decode(&msg.encode_to_vec()).unwrap();
    assert_eq!(p.strings[last], "f\u{fffd}n");
}
