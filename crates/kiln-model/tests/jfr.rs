//! JFR import: real JDK recordings checked against the JDK's own `jfr`
//! tool, synthetic chunks for the format's corners, and hostile input.

use std::collections::BTreeMap;

use kiln_model::jfr::{self, DecodeOptions, JfrProfile};
use kiln_model::{ErrorKind, Position, Profile, Tree};

use writer::{checkpoint, chunk, event, metadata, Bytes, Class, Pool};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jfr/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

fn expected(name: &str) -> BTreeMap<String, i64> {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// The profile with this `__name__` and first sample type.
fn profile<'a>(profiles: &'a [JfrProfile], name: &str, sample_type: &str) -> &'a Profile {
    profiles
        .iter()
        .find(|p| p.name == name && p.profile.sample_type_index(sample_type) == Some(0))
        .map(|p| &p.profile)
        .unwrap_or_else(|| panic!("no {name} profile with {sample_type}"))
}

/// `root;...;leaf` -> summed value of one sample type, empty stacks included.
fn folded(p: &Profile, sample_type: &str) -> BTreeMap<String, i64> {
    let idx = p.sample_type_index(sample_type).unwrap();
    let mut out = BTreeMap::new();
    for s in &p.samples {
        let mut names = Vec::new();
        p.for_each_frame_root_first(s, |f| names.push(f.to_owned()));
        *out.entry(names.join(";")).or_insert(0) += s.values[idx];
    }
    out
}

/// The leaf function with the largest self value.
fn hottest_leaf(p: &Profile, sample_type: &str) -> String {
    let tree = Tree::from_profile(p, p.sample_type_index(sample_type).unwrap());
    let mut by_leaf: BTreeMap<String, i64> = BTreeMap::new();
    for (stack, v) in tree.folded_map() {
        *by_leaf.entry(stack.rsplit(';').next().unwrap().to_owned()).or_insert(0) += v;
    }
    by_leaf.into_iter().max_by_key(|(_, v)| *v).unwrap().0
}

#[test]
fn jfr_execution_samples_find_the_hot_method() {
    let profiles = jfr::decode(&fixture("hot.jfr")).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.value_type(cpu.sample_types[0]), ("cpu", "nanoseconds"));
    assert_eq!(hottest_leaf(cpu, "cpu"), "Hot.burn");
}

#[test]
fn jfr_cpu_period_comes_from_the_recording_settings() {
    let profiles = jfr::decode(&fixture("hot.jfr")).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.period, 10_000_000, "kiln.jfc records jdk.ExecutionSample#period=10 ms");
    assert_eq!(cpu.value_type(cpu.period_type), ("cpu", "nanoseconds"));
}

#[test]
fn jfr_sample_rate_option_overrides_the_period() {
    let options = DecodeOptions { sample_rate: Some(50), ..DecodeOptions::default() };
    let profiles = jfr::decode_with_options(&fixture("hot.jfr"), &options).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.period, 20_000_000);
    let samples: i64 = expected("cpu.expected.json").values().sum();
    assert_eq!(cpu.totals(), vec![samples * 20_000_000]);
}

fn assert_cpu_matches_reference(profiles: &[JfrProfile], reference: &str) {
    let cpu = profile(profiles, "process_cpu", "cpu");
    let counts: BTreeMap<String, i64> = folded(cpu, "cpu").into_iter().map(|(k, v)| (k, v / cpu.period)).collect();
    assert_eq!(counts, expected(reference));
}

#[test]
fn jfr_cpu_stacks_match_the_jdk_tool_on_a_jdk17_recording() {
    assert_cpu_matches_reference(&jfr::decode(&fixture("hot.jfr")).unwrap(), "cpu.expected.json");
}

#[test]
fn jfr_cpu_stacks_match_the_jdk_tool_on_a_gzipped_jdk25_recording() {
    assert_cpu_matches_reference(&jfr::decode(&fixture("hot25.jfr.gz")).unwrap(), "cpu25.expected.json");
}

#[test]
fn jfr_allocation_profile_has_objects_and_bytes_of_the_allocating_method() {
    let profiles = jfr::decode(&fixture("hot.jfr")).unwrap();
    let tlab = profile(&profiles, "memory", "alloc_in_new_tlab_objects");
    let types: Vec<_> = tlab.sample_types.iter().map(|vt| tlab.value_type(*vt)).collect();
    assert_eq!(types, [("alloc_in_new_tlab_objects", "count"), ("alloc_in_new_tlab_bytes", "bytes")]);
    assert_eq!(hottest_leaf(tlab, "alloc_in_new_tlab_bytes"), "Hot.allocate");
    assert_eq!(folded(tlab, "alloc_in_new_tlab_bytes"), expected("alloc_in_new_tlab_bytes.expected.json"));
    let outside = profile(&profiles, "memory", "alloc_outside_tlab_objects");
    assert_eq!(hottest_leaf(outside, "alloc_outside_tlab_bytes"), "Hot.allocate");
    let sampled = profile(&profiles, "memory", "alloc_sample_objects");
    assert_eq!(hottest_leaf(sampled, "alloc_sample_bytes"), "Hot.allocate");
}

#[test]
fn jfr_lock_profiles_name_the_contended_methods() {
    let profiles = jfr::decode(&fixture("hot.jfr")).unwrap();
    let mutex = profile(&profiles, "mutex", "contentions");
    assert_eq!(folded(mutex, "contentions"), expected("mutex_contentions.expected.json"));
    assert_eq!(hottest_leaf(mutex, "delay"), "Hot.holdMonitor");
    assert!(mutex.totals()[1] >= 10_000_000 * mutex.totals()[0], "each contention waited over the 10 ms threshold");
    let block = profile(&profiles, "block", "contentions");
    assert_eq!(folded(block, "contentions"), expected("block_contentions.expected.json"));
    assert!(folded(block, "delay").keys().all(|stack| stack.contains("Hot.holdLock")));
}

#[test]
fn jfr_profiles_carry_the_recording_time() {
    let profiles = jfr::decode(&fixture("hot.jfr")).unwrap();
    for p in &profiles {
        assert!(p.profile.time_nanos > 1_600_000_000_000_000_000, "{}", p.name);
        assert!(p.profile.duration_nanos > 1_000_000_000, "{}", p.name);
    }
}

#[test]
fn jfr_concatenated_chunks_add_up() {
    let one = fixture("hot.jfr");
    let two = [one.clone(), one.clone()].concat();
    let single = jfr::decode(&one).unwrap();
    let double = jfr::decode(&two).unwrap();
    assert_eq!(single.len(), double.len());
    for (a, b) in single.iter().zip(&double) {
        let doubled: Vec<i64> = a.profile.totals().iter().map(|v| v * 2).collect();
        assert_eq!(b.profile.totals(), doubled, "{}", a.name);
    }
}

#[test]
fn jfr_every_truncated_prefix_is_an_error() {
    let data = fixture("hot.jfr");
    for len in 0..data.len() {
        assert!(jfr::decode(&data[..len]).is_err(), "prefix of {len} bytes decoded");
    }
}

#[test]
fn jfr_truncated_chunks_with_patched_sizes_never_panic() {
    let data = fixture("hot.jfr");
    for len in (68..data.len()).step_by(97).chain(data.len() - 600..data.len()) {
        let mut cut = data[..len].to_vec();
        cut[8..16].copy_from_slice(&(len as i64).to_be_bytes());
        let _ = jfr::decode(&cut);
    }
}

#[test]
fn jfr_corrupted_bytes_never_panic() {
    let data = fixture("hot.jfr");
    for (i, pos) in (68..data.len()).step_by(331).enumerate() {
        let mut bad = data.clone();
        bad[pos] = [0xff, 0x00, 0x80, 0x7f][i % 4];
        let _ = jfr::decode(&bad);
    }
}

#[test]
fn jfr_wrong_magic_is_a_typed_error_at_byte_0() {
    let mut data = fixture("hot.jfr");
    data[0] = b'G';
    let err = jfr::decode(&data).unwrap_err();
    assert_eq!((err.kind, err.format, err.position), (ErrorKind::Malformed, "jfr", Position::Byte(0)));
    assert!(err.to_string().contains("magic"), "{err}");
}

#[test]
fn jfr_empty_and_non_jfr_inputs_are_errors() {
    for input in [&b""[..], b"hello", b"{\"not\": \"jfr\"}"] {
        let err = jfr::decode(input).unwrap_err();
        assert_eq!(err.format, "jfr");
    }
}

#[test]
fn jfr_gzip_bomb_is_refused() {
    let bomb = kiln_model::gzip::gzip(&vec![0u8; 4 << 20]);
    let options = DecodeOptions { limit: 1 << 20, ..DecodeOptions::default() };
    let err = jfr::decode_with_options(&bomb, &options).unwrap_err();
    assert_eq!((err.kind, err.format), (ErrorKind::TooLarge, "jfr"));
}

// Synthetic chunks: our own types, pools split over two checkpoints.

const LONG: u64 = 2;
const INT: u64 = 3;
const STRING: u64 = 4;
const BOOLEAN: u64 = 5;
const SYMBOL: u64 = 20;
const CLASS: u64 = 21;
const METHOD: u64 = 22;
const FRAME: u64 = 23;
const STACK: u64 = 24;
const STATE: u64 = 25;
const EXECUTION_SAMPLE: u64 = 30;
const ACTIVE_SETTING: u64 = 31;
const WALL_CLOCK_SAMPLE: u64 = 32;

fn classes() -> Vec<Class> {
    let c = |id, name, fields| Class { id, name, fields };
    vec![
        c(LONG, "long", vec![]),
        c(INT, "int", vec![]),
        c(STRING, "java.lang.String", vec![]),
        c(BOOLEAN, "boolean", vec![]),
        c(SYMBOL, "jdk.types.Symbol", vec![("string", STRING, false, false)]),
        c(CLASS, "java.lang.Class", vec![("name", SYMBOL, true, false)]),
        c(METHOD, "jdk.types.Method", vec![("type", CLASS, true, false), ("name", SYMBOL, true, false)]),
        c(FRAME, "jdk.types.StackFrame", vec![("method", METHOD, true, false), ("lineNumber", INT, false, false)]),
        c(STACK, "jdk.types.StackTrace", vec![("truncated", BOOLEAN, false, false), ("frames", FRAME, false, true)]),
        c(STATE, "jdk.types.ThreadState", vec![("name", STRING, false, false)]),
        c(
            EXECUTION_SAMPLE,
            "jdk.ExecutionSample",
            vec![
                ("startTime", LONG, false, false),
                ("stackTrace", STACK, true, false),
                ("state", STATE, true, false),
                ("contextId", LONG, false, false),
            ],
        ),
        c(
            ACTIVE_SETTING,
            "jdk.ActiveSetting",
            vec![
                ("startTime", LONG, false, false),
                ("id", LONG, false, false),
                ("name", STRING, false, false),
                ("value", STRING, false, false),
            ],
        ),
        c(
            WALL_CLOCK_SAMPLE,
            "profiler.WallClockSample",
            vec![
                ("startTime", LONG, false, false),
                ("stackTrace", STACK, true, false),
                ("state", STATE, true, false),
                ("samples", INT, false, false),
            ],
        ),
    ]
}

fn text(s: &str) -> Vec<u8> {
    Bytes::default().string(s).0.clone()
}

fn keys(ks: &[u64]) -> Vec<u8> {
    let mut b = Bytes::default();
    for &k in ks {
        b.varint(k);
    }
    b.0
}

/// Symbols, classes and thread states: the first checkpoint of the chain.
fn first_pools() -> Vec<Pool> {
    let symbols = ["Main", "main", "app/Work$$Lambda$14/0x0000000800c03000", "run", "leaf"];
    vec![
        (SYMBOL, symbols.iter().enumerate().map(|(i, s)| (i as u64 + 1, text(s))).collect()),
        (CLASS, vec![(1, keys(&[1])), (2, keys(&[3]))]),
        (STATE, vec![(1, text("STATE_RUNNABLE")), (2, text("STATE_SLEEPING"))]),
    ]
}

/// Methods and stacks referring to the first checkpoint's entries. Stack 1
/// is leaf-first `Main.leaf:7 <- Work$$Lambda.run <- Main.main:3`; stack 2
/// has a frame whose method is missing.
fn last_pools() -> Vec<Pool> {
    let stack = |frames: &[(u64, u64)]| {
        let mut b = Bytes::default();
        b.raw(&[0]).varint(frames.len() as u64);
        for &(m, line) in frames {
            b.varint(m).varint(line);
        }
        b.0
    };
    vec![
        (METHOD, vec![(1, keys(&[1, 2])), (2, keys(&[2, 4])), (3, keys(&[1, 5]))]),
        (STACK, vec![(1, stack(&[(3, 7), (2, 0), (1, 3)])), (2, stack(&[(99, 1), (1, 3)]))]),
    ]
}

fn setting(id: u64, name: &str, value: &str) -> Vec<u8> {
    let mut b = Bytes::default();
    b.varint(0).varint(id).string(name).string(value);
    event(ACTIVE_SETTING, &b.0)
}

fn sample(type_id: u64, stack: u64, state: u64, last: u64) -> Vec<u8> {
    event(type_id, &keys(&[0, stack, state, last]))
}

/// A chunk with both checkpoints around `events`, the last pointing back.
fn synthetic(events: &[Vec<u8>]) -> Vec<u8> {
    let first = checkpoint(0, &first_pools());
    let distance = first.len() + events.iter().map(Vec::len).sum::<usize>();
    let mut parts = vec![first];
    parts.extend_from_slice(events);
    parts.push(checkpoint(-(distance as i64), &last_pools()));
    let last = parts.len() - 1;
    chunk(&metadata(&classes()), &parts, last)
}

const STACK_1: &str = "Main.main;app/Work$$Lambda_.run;Main.leaf";

#[test]
fn jfr_pools_resolve_across_a_checkpoint_chain() {
    let data = synthetic(&[
        setting(EXECUTION_SAMPLE, "period", "20 ms"),
        sample(EXECUTION_SAMPLE, 1, 1, 0),
        sample(EXECUTION_SAMPLE, 1, 1, 0),
        sample(EXECUTION_SAMPLE, 2, 1, 0),
    ]);
    let profiles = jfr::decode(&data).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.period, 20_000_000);
    let want = BTreeMap::from([(STACK_1.to_owned(), 40_000_000), ("Main.main".to_owned(), 20_000_000)]);
    assert_eq!(folded(cpu, "cpu"), want, "the frame with a missing method is skipped");
    let lines: Vec<i64> = cpu.samples[0].locations.iter().map(|&l| cpu.locations[l as usize].lines[0].line).collect();
    assert_eq!(lines, [7, 0, 3], "leaf-first locations keep line numbers");
}

#[test]
fn jfr_sleeping_and_stackless_samples_are_not_cpu() {
    let data = synthetic(&[
        sample(EXECUTION_SAMPLE, 1, 2, 0),
        sample(EXECUTION_SAMPLE, 77, 1, 0),
        sample(EXECUTION_SAMPLE, 1, 1, 0),
    ]);
    let profiles = jfr::decode(&data).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.period, 10_000_000, "no period setting: 100 Hz");
    assert_eq!(folded(cpu, "cpu"), BTreeMap::from([(STACK_1.to_owned(), 10_000_000)]));
}

#[test]
fn jfr_context_id_is_kept_as_a_numeric_label() {
    let data = synthetic(&[
        sample(EXECUTION_SAMPLE, 1, 1, 42),
        sample(EXECUTION_SAMPLE, 1, 1, 42),
        sample(EXECUTION_SAMPLE, 1, 1, 0),
    ]);
    let profiles = jfr::decode(&data).unwrap();
    let cpu = profile(&profiles, "process_cpu", "cpu");
    let mut by_context: Vec<(Option<i64>, i64)> = cpu
        .samples
        .iter()
        .map(|s| {
            let label = s.labels.iter().find(|l| cpu.str(l.key) == jfr::CONTEXT_ID_LABEL).map(|l| l.num);
            (label, s.values[0] / cpu.period)
        })
        .collect();
    by_context.sort();
    assert_eq!(by_context, [(None, 1), (Some(42), 2)]);
    assert_eq!(
        folded(cpu, "cpu"),
        BTreeMap::from([(STACK_1.to_owned(), 3 * cpu.period)]),
        "every sample keeps its stack"
    );
}

#[test]
fn jfr_async_profiler_wall_mode_fills_wall_and_cpu() {
    let data = synthetic(&[
        setting(0, "event", "wall"),
        sample(WALL_CLOCK_SAMPLE, 1, 1, 5),
        sample(WALL_CLOCK_SAMPLE, 1, 2, 3),
        sample(EXECUTION_SAMPLE, 1, 1, 0),
    ]);
    let profiles = jfr::decode(&data).unwrap();
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["process_cpu", "wall"]);
    let wall = profile(&profiles, "wall", "wall");
    assert_eq!(wall.totals(), [9 * 10_000_000], "5 + 3 wall samples and the execution sample");
    let cpu = profile(&profiles, "process_cpu", "cpu");
    assert_eq!(cpu.totals(), [6 * 10_000_000], "runnable wall samples and the execution sample");
}

#[test]
fn jfr_checkpoint_chain_loop_is_an_error() {
    let first_len = checkpoint(0, &first_pools()).len();
    let first = checkpoint(first_len as i64, &first_pools());
    assert_eq!(first.len(), first_len);
    let last = checkpoint(-(first_len as i64), &last_pools());
    let data = chunk(&metadata(&classes()), &[first, last], 1);
    let err = jfr::decode(&data).unwrap_err();
    assert!(matches!(err.position, Position::Byte(_)) && err.message.contains("loops"), "{err}");
}

#[test]
fn jfr_malformed_varint_names_jfr_and_the_byte() {
    let data = chunk(&[0x80, 0x80, 0x80], &[], usize::MAX);
    let mut data = data;
    data[16..24].copy_from_slice(&68i64.to_be_bytes());
    let err = jfr::decode(&data).unwrap_err();
    assert_eq!((err.kind, err.format, err.position), (ErrorKind::Malformed, "jfr", Position::Byte(68)));
    assert!(err.message.contains("varint"), "{err}");
    assert!(err.to_string().starts_with("jfr at byte 68"), "{err}");
}

#[test]
fn jfr_huge_length_is_refused_at_its_byte() {
    let mut body = Bytes::default();
    body.varint(0).varint(0).varint(0).varint(0x7fff_ffff);
    let meta = event(0, &body.0);
    let count_at = 68 + meta.len() as u64 - 5;
    let mut data = chunk(&meta, &[], usize::MAX);
    data[16..24].copy_from_slice(&68i64.to_be_bytes());
    let err = jfr::decode(&data).unwrap_err();
    assert_eq!((err.kind, err.format, err.position), (ErrorKind::Malformed, "jfr", Position::Byte(count_at)));
    assert!(err.message.contains("2147483647"), "{err}");
}

#[test]
fn jfr_self_nesting_inline_type_is_an_error() {
    let mut types = classes();
    types.push(Class { id: 40, name: "Nest", fields: vec![("inner", 40, false, false)] });
    types.push(Class { id: 41, name: "jdk.ObjectAllocationSample", fields: vec![("n", 40, false, false)] });
    let data = chunk(&metadata(&types), &[checkpoint(0, &[]), event(41, &[])], 0);
    let err = jfr::decode(&data).unwrap_err();
    assert!(err.message.contains("nest"), "{err}");
}

mod writer {
    //! A tiny JFR writer: enough of the format to build chunks with our
    //! own types, checkpoints and events.
    /// A constant pool: type id and (key, encoded value) entries.
    pub type Pool = (u64, Vec<(u64, Vec<u8>)>);

    /// A type: id, name, fields as (name, type id, constant pool?, array?).
    pub struct Class {
        pub id: u64,
        pub name: &'static str,
        pub fields: Vec<(&'static str, u64, bool, bool)>,
    }

    #[derive(Default)]
    pub struct Bytes(pub Vec<u8>);

    impl Bytes {
        pub fn varint(&mut self, mut v: u64) -> &mut Self {
            for _ in 0..8 {
                if v < 0x80 {
                    self.0.push(v as u8);
                    return self;
                }
                self.0.push((v as u8 & 0x7f) | 0x80);
                v >>= 7;
            }
            self.0.push(v as u8);
            self
        }

        pub fn string(&mut self, s: &str) -> &mut Self {
            self.0.push(3);
            self.varint(s.len() as u64);
            self.0.extend_from_slice(s.as_bytes());
            self
        }

        pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
            self.0.extend_from_slice(bytes);
            self
        }
    }

    /// An event: its size prefix (counting itself), type id and body.
    pub fn event(type_id: u64, body: &[u8]) -> Vec<u8> {
        let mut rest = Bytes::default();
        rest.varint(type_id).raw(body);
        let mut size = rest.0.len() + 1;
        while Bytes::default().varint(size as u64).0.len() + rest.0.len() != size {
            size += 1;
        }
        let mut out = Bytes::default();
        out.varint(size as u64).raw(&rest.0);
        out.0
    }

    /// The metadata event describing `classes`.
    pub fn metadata(classes: &[Class]) -> Vec<u8> {
        let mut strings: Vec<String> = Vec::new();
        let mut idx = |s: &str| -> u64 {
            if let Some(i) = strings.iter().position(|x| x == s) {
                return i as u64;
            }
            strings.push(s.to_owned());
            strings.len() as u64 - 1
        };
        let mut tree = Bytes::default();
        tree.varint(idx("root")).varint(0).varint(2);
        tree.varint(idx("metadata")).varint(0).varint(classes.len() as u64);
        for c in classes {
            let (name_key, id_key, name, id) = (idx("name"), idx("id"), idx(c.name), idx(&c.id.to_string()));
            tree.varint(idx("class")).varint(2).varint(name_key).varint(name).varint(id_key).varint(id);
            tree.varint(c.fields.len() as u64);
            for &(field, ty, cp, array) in &c.fields {
                let mut attrs = vec![(idx("name"), idx(field)), (idx("class"), idx(&ty.to_string()))];
                if cp {
                    attrs.push((idx("constantPool"), idx("true")));
                }
                if array {
                    attrs.push((idx("dimension"), idx("1")));
                }
                tree.varint(idx("field")).varint(attrs.len() as u64);
                for (k, v) in attrs {
                    tree.varint(k).varint(v);
                }
                tree.varint(0);
            }
        }
        tree.varint(idx("region")).varint(0).varint(0);
        let mut body = Bytes::default();
        body.varint(0).varint(0).varint(1).varint(strings.len() as u64);
        for s in &strings {
            body.string(s);
        }
        body.raw(&tree.0);
        event(0, &body.0)
    }

    /// A checkpoint event: `delta` to the previous one, then pools as
    /// (type id, entries of (key, encoded value)).
    pub fn checkpoint(delta: i64, pools: &[Pool]) -> Vec<u8> {
        let mut body = Bytes::default();
        body.varint(0).varint(0).varint(delta as u64).raw(&[0]).varint(pools.len() as u64);
        for (ty, entries) in pools {
            body.varint(*ty).varint(entries.len() as u64);
            for (key, value) in entries {
                body.varint(*key).raw(value);
            }
        }
        event(1, &body.0)
    }

    /// A chunk: header, metadata, then `parts` (checkpoints and events) in
    /// order; the header points at the part with index `last_checkpoint`.
    pub fn chunk(metadata: &[u8], parts: &[Vec<u8>], last_checkpoint: usize) -> Vec<u8> {
        let mut body = metadata.to_vec();
        let mut cp_offset = 0;
        for (i, part) in parts.iter().enumerate() {
            if i == last_checkpoint {
                cp_offset = 68 + body.len();
            }
            body.extend_from_slice(part);
        }
        let size = 68 + body.len();
        let mut out = b"FLR\0".to_vec();
        out.extend_from_slice(&2u16.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        for v in [size as i64, cp_offset as i64, 68, 1_700_000_000_000_000_000, 1_000_000_000, 0, 1_000_000_000] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[0, 0, 0, 3]);
        out.extend_from_slice(&body);
        out
    }
}
