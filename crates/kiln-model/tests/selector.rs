//! The selector language: operators, quoting, anchoring, the legacy query
//! forms, and errors that say where and what was expected.

use kiln_model::selector::{AnyOf, MatchOp, Matcher, Query, Selector, Target};
use kiln_model::ErrorKind;
use proptest::prelude::*;

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn ops(s: &Selector) -> Vec<(String, MatchOp, String)> {
    s.matchers.iter().map(|m| (m.name.clone(), m.op, m.value.clone())).collect()
}

fn error(input: &str) -> String {
    let e = Selector::parse(input).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    e.message
}

#[test]
fn all_four_operators_parse_with_either_quote() {
    let s = Selector::parse(r#" { service_name="api", env=~'prod|staging' ,pod!="x", region!~"eu-.*", } "#).unwrap();
    let want = [
        ("service_name", MatchOp::Equal, "api"),
        ("env", MatchOp::Regex, "prod|staging"),
        ("pod", MatchOp::NotEqual, "x"),
        ("region", MatchOp::NotRegex, "eu-.*"),
    ];
    let want: Vec<_> = want.iter().map(|(n, o, v)| (n.to_string(), *o, v.to_string())).collect();
    assert_eq!(ops(&s), want);
    assert!(s.matches(&labels(&[("service_name", "api"), ("env", "staging"), ("region", "us")])));
    assert!(!s.matches(&labels(&[("service_name", "api"), ("env", "staging"), ("region", "eu-1")])));
}

#[test]
fn empty_braces_select_every_series() {
    let s = Selector::parse("{}").unwrap();
    assert!(s.matchers.is_empty());
    assert!(s.matches(&labels(&[("a", "b")])) && s.matches(&[]));
    assert!(AnyOf::parse(&[]).unwrap().matches(&labels(&[("a", "b")])));
}

#[test]
fn string_escapes_follow_go_quoting() {
    let s = Selector::parse(r#"{a="q\"b\\n\n\t\x41\101\u00e9\U0001F600", b='it\'s', c=`raw\n`}"#).unwrap();
    assert_eq!(s.matchers[0].value, "q\"b\\n\n\tAAé😀");
    assert_eq!(s.matchers[1].value, "it's");
    assert_eq!(s.matchers[2].value, r"raw\n");
    assert_eq!(Selector::parse("{a=\"é\"}").unwrap().matchers[0].value, "é");
}

#[test]
fn regexes_are_anchored_at_both_ends() {
    let m = Matcher::new("env", MatchOp::Regex, "prod|staging").unwrap();
    assert!(m.matches_value("prod") && m.matches_value("staging"));
    assert!(!m.matches_value("xstaging") && !m.matches_value("prod2") && !m.matches_value("pro"));
    let not = Matcher::new("env", MatchOp::NotRegex, "pro").unwrap();
    assert!(not.matches_value("prod"));
}

#[test]
fn a_missing_label_has_the_empty_value() {
    let series = labels(&[("service_name", "api")]);
    let matches = |sel: &str| Selector::parse(sel).unwrap().matches(&series);
    assert!(matches(r#"{pod!="x"}"#));
    assert!(matches(r#"{pod=""}"#));
    assert!(matches(r#"{pod=~".*"}"#));
    assert!(!matches(r#"{pod=~".+"}"#));
    assert!(!matches(r#"{pod!~""}"#));
}

#[test]
fn label_names_may_contain_dots_but_not_start_with_digits() {
    let s = Selector::parse(r#"{k8s.pod.name="x", _a1="y"}"#).unwrap();
    assert_eq!(s.matchers[0].name, "k8s.pod.name");
    assert!(s.matches(&labels(&[("k8s.pod.name", "x"), ("_a1", "y")])));
    let msg = error(r#"{1a="b"}"#);
    assert!(msg.contains("at byte 1: expected a label name or '}', found '1'"), "{msg}");
}

#[test]
fn errors_name_the_byte_and_what_was_expected() {
    let cases = [
        (r#"{a="b" c="d"}"#, "at byte 7: expected ',' or '}', found 'c'"),
        ("{a=b}", "at byte 3: expected a quoted string, found 'b'"),
        (r#"{a~"b"}"#, r#"at byte 2: expected one of =, !=, =~, !~ after label name "a", found '~'"#),
        (r#"{a="b"} x"#, "at byte 8: expected end of input, found 'x'"),
        ("", "at byte 0: expected '{', found end of input"),
        ("{a=\"b", "at byte 3: unterminated quoted string"),
        (r#"{a="\q"}"#, "at byte 4: unknown escape sequence"),
        (r#"{a="\x4"}"#, "at byte 4: malformed escape sequence"),
        (r#"{a=~"("}"#, "at byte 4: invalid regular expression"),
        ("{a=\"\\xff\"}", "at byte 3: the string is not valid UTF-8"),
        (",", "at byte 0: expected '{', found ','"),
        ("{,}", "at byte 1: expected a label name or '}', found ','"),
    ];
    for (input, want) in cases {
        let msg = error(input);
        assert!(msg.contains(want), "{input:?}: {msg}");
    }
}

#[test]
fn quoted_label_names_as_prometheus_3_writes_them_select_dotted_otlp_attributes() {
    let s = Selector::parse(r#"{"thread.name"="x", 'k8s-pod'!="", `a b`=~"y|z"}"#).unwrap();
    let names: Vec<&str> = s.matchers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["thread.name", "k8s-pod", "a b"]);
    assert!(s.matches(&labels(&[("thread.name", "x"), ("k8s-pod", "p"), ("a b", "z")])));
    assert!(!s.matches(&labels(&[("thread.name", "y"), ("k8s-pod", "p"), ("a b", "z")])));
    let escaped = Selector::parse(r#"{"say \"hi\""="x"}"#).unwrap();
    assert_eq!(escaped.matchers[0].name, r#"say "hi""#);
}

#[test]
fn a_quoted_name_alone_in_braces_is_the_metric_name() {
    let s = Selector::parse(r#"{"process.cpu", service_name="x"}"#).unwrap();
    assert_eq!(s.matchers[0], Matcher::equal("__name__", "process.cpu"));
    assert_eq!(s.matchers[1], Matcher::equal("service_name", "x"));
    assert_eq!(Selector::parse(r#"{ "process.cpu" }"#).unwrap().matchers, [Matcher::equal("__name__", "process.cpu")]);
}

#[test]
fn an_empty_quoted_name_or_a_missing_operator_is_refused_at_its_byte() {
    assert!(error(r#"{""="x"}"#).contains("at byte 1: a quoted name must not be empty"));
    assert!(error(r#"{"a.b"~"x"}"#).contains(r#"expected one of =, !=, =~, !~ after label name "a.b""#));
    assert!(error(r#"{"a.b="x"}"#).contains("expected one of =, !=, =~, !~ after label name \"a.b=\""));
}

#[test]
fn a_name_that_needs_quotes_prints_quoted_and_parses_back() {
    let s = Selector::default().with(Matcher::new("thread.name-1", MatchOp::Equal, "x").unwrap());
    assert_eq!(s.to_string(), r#"{"thread.name-1"="x"}"#);
    assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    assert_eq!(Selector::parse(r#"{"plain"="x"}"#).unwrap().to_string(), r#"{plain="x"}"#);
}

#[test]
fn a_metric_name_in_a_label_selector_matches_name() {
    let s = Selector::parse(r#"process_cpu{service_name="x"}"#).unwrap();
    assert_eq!(s.matchers[0], Matcher::equal("__name__", "process_cpu"));
    assert_eq!(ops(&Selector::parse("memory").unwrap()), [("__name__".to_string(), MatchOp::Equal, "memory".into())]);
}

#[test]
fn a_legacy_query_puts_the_profile_type_in_front() {
    let q = Query::parse(r#"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="x"}"#).unwrap();
    let Target::ProfileType(t) = &q.target else { panic!("{q:?}") };
    assert_eq!(t.id(), "process_cpu:cpu:nanoseconds:cpu:nanoseconds");
    assert_eq!(q.selector.matchers, [Matcher::equal("service_name", "x")]);
    let f = q.filter();
    assert!(f.matches(&labels(&[
        ("__profile_type__", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"),
        ("service_name", "x")
    ])));
    assert!(!f.matches(&labels(&[("__profile_type__", "memory:alloc_space:bytes:space:bytes"), ("service_name", "x")])));
    // Empty parts are allowed; the braces are optional.
    let q = Query::parse("memory:alloc_in_new_tlab_bytes:bytes::").unwrap();
    assert!(matches!(q.target, Target::ProfileType(_)) && q.selector.matchers.is_empty());
    assert_eq!(Query::parse(" {} ").unwrap(), Query { target: Target::Any, selector: Selector::default() });
}

#[test]
fn a_v0_flameql_query_selects_the_app_and_its_type() {
    let q = Query::parse(r#"my-app.alloc_space{env="x"}"#).unwrap();
    let want = Target::App { service_name: "my-app".into(), name: "memory".into(), sample_type: "alloc_space".into() };
    assert_eq!(q.target, want);
    let q = Query::parse("shop.cpu").unwrap();
    let want = Target::App { service_name: "shop".into(), name: "process_cpu".into(), sample_type: "cpu".into() };
    assert_eq!(q.target, want);
    assert!(q.filter().matches(&labels(&[("__name__", "process_cpu"), ("__type__", "cpu"), ("service_name", "shop")])));
    assert!(!q.filter().matches(&labels(&[
        ("__name__", "process_cpu"),
        ("__type__", "samples"),
        ("service_name", "shop")
    ])));
}

#[test]
fn legacy_query_errors_name_the_position() {
    let e = Query::parse(r#"process_cpu:cpu{a="b"}"#).unwrap_err();
    assert!(e.message.contains("at byte 0") && e.message.contains("5 parts"), "{}", e.message);
    let e = Query::parse("app.nosuchtype{}").unwrap_err();
    assert!(e.message.contains(r#"unknown profile type "nosuchtype""#), "{}", e.message);
    let e = Query::parse(r#"{a="b"}{}"#).unwrap_err();
    assert!(e.message.contains("at byte 7"), "{}", e.message);
    let e = Query::parse("=").unwrap_err();
    assert!(e.message.contains("expected a profile type id, an application name or '{'"), "{}", e.message);
}

#[test]
fn a_selector_prints_back_as_a_selector() {
    let s = Selector::parse(r#"{a="x", b=~"y|z", c!="", d!~"w"}"#).unwrap();
    assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
}

proptest! {
    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in ".{0,64}") {
        let _ = Selector::parse(&s);
        let _ = Query::parse(&s);
    }

    #[test]
    fn parsers_never_panic_on_selector_like_strings(s in r#"[a-z_.:{}=!~,"'`\\ xu0-9é(|)*]{0,40}"#) {
        let _ = Selector::parse(&s);
        let _ = Query::parse(&s);
    }
}

proptest! {
    #[test]
    fn a_printed_selector_parses_back_to_itself(
        pairs in proptest::collection::vec(("[a-z_][a-z0-9_.]{0,8}", 0..4usize, "\\PC{0,8}|[\\x00-\\x1f\"\\\\]{0,4}"), 0..4)
    ) {
        let ops = [MatchOp::Equal, MatchOp::NotEqual, MatchOp::Regex, MatchOp::NotRegex];
        let mut s = Selector::default();
        for (name, op, value) in pairs {
            // Regex operators need a valid regex: quote the value.
            let value = if op >= 2 { regex::escape(&value) } else { value };
            s = s.with(Matcher::new(&name, ops[op], &value).unwrap());
        }
        prop_assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    }
}
