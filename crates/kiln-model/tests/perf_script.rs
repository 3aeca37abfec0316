//! `perf script` import: real perf output, agreement with inferno's
//! collapser, the header and symbol forms perf prints, and malformed input.

use std::collections::BTreeMap;

use kiln_model::{perf_script, ErrorKind, Position, Tree};
use proptest::prelude::*;

const SCRIPT: &[u8] = include_bytes!("fixtures/perf/perf.script.txt");
const INFERNO: &str = include_str!("fixtures/perf/perf.inferno.folded");

fn folded(data: &[u8]) -> BTreeMap<String, i64> {
    let p = perf_script::decode(data).expect("decodes");
    assert_eq!(p.value_type(p.sample_types[0]), ("samples", "count"));
    Tree::from_profile(&p, 0).folded_map()
}

/// Parses folded text (`a;b;c value` lines) into per-stack totals.
fn parse_folded(text: &str) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (stack, value) = line.rsplit_once(' ').expect("folded line has a value");
        *m.entry(stack.to_owned()).or_insert(0) += value.parse::<i64>().expect("numeric value");
    }
    m
}

/// The period every event header of the fixture carries (inferno weights
/// stacks by it; we count events).
fn fixture_period() -> i64 {
    let text = std::str::from_utf8(SCRIPT).unwrap();
    let periods: Vec<i64> = text
        .lines()
        .filter(|l| l.ends_with("cpu-clock: ") || l.ends_with("cpu-clock:"))
        .map(|l| l.split_whitespace().rev().nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(periods.len() > 100, "fixture has {} events", periods.len());
    assert!(periods.iter().all(|&p| p == periods[0]), "one period throughout");
    periods[0]
}

#[test]
fn perf_script_puts_burn_under_spin_under_main_with_most_samples() {
    let stacks = folded(SCRIPT);
    let total: i64 = stacks.values().sum();
    let burn: i64 = stacks.iter().filter(|(s, _)| s.ends_with(";main;spin;burn")).map(|(_, v)| v).sum();
    assert!(stacks.keys().all(|s| s.starts_with("prog;")), "comm is the root frame");
    let share = burn as f64 / total as f64;
    assert!((0.7..0.95).contains(&share), "burn self share {share}");
    let hottest = stacks.iter().max_by_key(|(_, v)| **v).unwrap().0;
    assert_eq!(hottest, "prog;__libc_start_call_main;main;spin;burn");
}

#[test]
fn perf_script_stacks_equal_inferno_collapse_of_the_same_file() {
    let period = fixture_period();
    let ours: BTreeMap<String, i64> = folded(SCRIPT).into_iter().map(|(s, v)| (s, v * period)).collect();
    assert_eq!(ours, parse_folded(INFERNO));
}

/// Header forms, symbol clean-ups, CRLF, a missing final newline and a
/// second event type. The expected stacks are what inferno-collapse-perf
/// 0.12.8 prints for this text (every period is 1, so its values are counts).
const FORMS: &str = "# ========\n\
# captured on: synthetic\n\
java 24636/25607 [000] 4794564.109216: cycles:\n\
\t    7f722d142778 Lorg/mozilla/Foo;.call(Ljava/lang/Object;)V (/tmp/perf-19982.map)\n\
\t    7f722d142779 Lcom/A;.f()V->Lcom/B;.g()V (/tmp/perf-19982.map)\n\
\t    7f53389994d0 [unknown] ([unknown])\n\
\n\
  V8 WorkerThread 25607 4794564.109216: cycles:\n\
\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])\n\
\t    7f53389994d0 [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\
\t    7f1e2215d058  (/lib/x86_64-linux-gnu/libc-2.15.so)\n\
\t    55d1 std::sys::unix::fs::File::open::hb90e1c1c787080f0 (/usr/bin/rg)\n\
\t    55d2 foo<Vec::<usize>>(Vec<usize>)+0x1f (/usr/bin/rg)\n\
\t    55d3 (anonymous namespace)::bar(int) (/usr/bin/rg)\n\
\t    55d4 go/build.(*importReader).readByte+0x10 (/usr/bin/rg)\n\
\t    55d5 a;b+0x (/usr/bin/rg)\n\
\t    55d6 (deleted) (/usr/bin/rg)\n\
\n\
vote   913    72.176760:          1 cycles:uppp:\n\
\t    55d7 main+0x1 (/usr/bin/vote)\n\
\n\
perf 12688 [002] 6544038.708352: instructions:\n\
\t    55d8 ignored (/usr/bin/perf)\n\
\n\
false 64414 20110.539270:      1 cycles:u:  ffffffff9aa3c8de [unknown] ([unknown])\n\
false 64414 20110.539271:      1 cycles:  ffffffff9aa3c8de page_fault ([kernel.kallsyms])\n\
vote   913    72.176761:          1 cycles:\n\
\t    55d7 main+0x1 (/usr/bin/vote)\n\
\t    55d9 __libc_start_main+0xf3 (/usr/lib/libc.so.6)\n\
\n\
vote   913    72.176762:          1 cycles:\r\n\
\t    55d7 main+0x1 (/usr/bin/vote)\r\n\
\r\n\
vote   913    72.176763:          1 cycles:\r\n\
\t    55d7 main+0x1 (/usr/bin/vote)";

const FORMS_INFERNO: &str = "\
V8_WorkerThread;a:b;go/build.(*importReader).readByte;foo<Vec::<usize>>;std::sys::unix::fs::File::open; ;[libc.so.6];native_safe_halt 1
false;[unknown] 1
false;page_fault 1
java;[unknown];com/A:.f;com/B:.g_[i];org/mozilla/Foo:.call 1
vote;__libc_start_main;main 1
vote;main 3
";

#[test]
fn perf_script_header_forms_and_symbol_cleanups_match_inferno() {
    assert_eq!(folded(FORMS.as_bytes()), parse_folded(FORMS_INFERNO));
}

#[test]
fn perf_script_accepts_gzip() {
    let gz = kiln_model::gzip::gzip(FORMS.as_bytes());
    assert_eq!(folded(&gz), parse_folded(FORMS_INFERNO));
}

#[test]
fn perf_script_of_nothing_but_comments_is_an_empty_profile() {
    let p = perf_script::decode(b"# perf script header\n\n").unwrap();
    assert!(p.samples.is_empty());
}

fn error_line(data: &[u8]) -> u64 {
    let e = perf_script::decode(data).expect_err("malformed input is refused");
    assert_eq!((e.kind, e.format), (ErrorKind::Malformed, "perf script"));
    match e.position {
        Position::Line(l) => l,
        p => panic!("expected a line position, got {p:?}"),
    }
}

#[test]
fn perf_script_garbage_bytes_are_refused_at_their_line() {
    assert_eq!(error_line(b"\x00\xff\xfe garbage\x01\n"), 1);
    assert_eq!(error_line(b"{\"not\": \"perf\"}"), 1);
}

#[test]
fn perf_script_header_without_a_stack_is_refused_at_the_header() {
    assert_eq!(error_line(b"prog 1 1.0: cpu-clock:\n\t1 f (/bin/x)\n\nprog 1 2.0: cpu-clock:\n\n"), 4);
    assert_eq!(error_line(b"prog 1 1.0: cpu-clock:"), 1);
}

#[test]
fn perf_script_malformed_stack_line_is_refused_at_its_line() {
    assert_eq!(error_line(b"prog 1 1.0: cpu-clock:\n\t1 f (/bin/x)\n\tno-dso-here\n"), 3);
    assert_eq!(error_line(b"prog 1 1.0: cpu-clock:\n\t1 f (\n"), 2);
}

#[test]
fn perf_script_header_without_a_command_name_is_refused() {
    assert_eq!(error_line(b"\t    0 [unknown] ([unknown])\n"), 1);
}

proptest! {
    #[test]
    fn perf_script_never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = perf_script::decode(&data);
    }

    #[test]
    fn perf_script_never_panics_on_damaged_fixture_text(cut in 0usize..4000, byte in any::<u8>(), at in 0usize..4000) {
        let mut data = FORMS.as_bytes()[..cut.min(FORMS.len())].to_vec();
        if let Some(b) = data.get_mut(at) {
            *b = byte;
        }
        let _ = perf_script::decode(&data);
    }
}
