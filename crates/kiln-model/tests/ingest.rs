//! The pure half of ingestion checked against Pyroscope's own examples:
//! `from`/`until` parsing, legacy upload labels and typing, the
//! `sample_type_config` field, Push normalisation and series split,
//! validation limits, and JFR context labels.

use kiln_model::ingest::legacy::{self, LegacyParams};
use kiln_model::ingest::limits::{truncate, validate, validate_labels};
use kiln_model::ingest::series::{normalize, prepare, request_labels};
use kiln_model::ingest::{attime, jfr_labels, sample_type_config, scripting_names, Limits, Reason};
use kiln_model::ingest_name::IngestName;
use kiln_model::jfr::CONTEXT_ID_LABEL;
use kiln_model::pb::jfr::labels::{Context, LabelsSnapshot};
use kiln_model::{folded, gzip, pprof, Label, Profile, ProfileBuilder, Tree};
use prost::Message;

const GO_CPU: &[u8] = include_bytes!("fixtures/go/cpu.pb.gz");
const GO_BLOCK: &[u8] = include_bytes!("fixtures/go/block.pb.gz");
const GO_HEAP: &[u8] = include_bytes!("fixtures/go/heap.pb.gz");

/// 2020-01-01T00:00:00Z, the instant of Pyroscope's own attime tests.
const NOW: i64 = 1_577_836_800_000_000_000;
const S: i64 = 1_000_000_000;

fn pairs(ls: &[(&str, &str)]) -> Vec<(String, String)> {
    ls.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn label<'a>(ls: &'a [(String, String)], name: &str) -> Option<&'a str> {
    ls.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

// ---- attime ----

#[test]
fn attime_reads_unix_time_in_every_unit_by_length() {
    assert_eq!(attime::parse("1577836800", 0).unwrap(), NOW);
    assert_eq!(attime::parse("1577836800001", 0).unwrap(), NOW + 1_000_000);
    assert_eq!(attime::parse("1577836800000001", 0).unwrap(), NOW + 1_000);
    assert_eq!(attime::parse("1577836800000000001", 0).unwrap(), NOW + 1);
    assert_eq!(attime::parse("157783680", 0).unwrap(), 157_783_680 * S, "9 digits are seconds");
}

#[test]
fn attime_reads_eight_digits_as_a_utc_date() {
    assert_eq!(attime::parse("20200101", 0).unwrap(), NOW);
    assert_eq!(attime::parse("20240229", 0).unwrap(), 1_709_164_800 * S);
    // Not a date (Feb 30, year 1800): seconds, as in Pyroscope.
    assert_eq!(attime::parse("20200230", 0).unwrap(), 20_200_230 * S);
    assert_eq!(attime::parse("18000101", 0).unwrap(), 18_000_101 * S);
}

#[test]
fn attime_reads_now_and_offsets_like_pyroscope() {
    let cases = [
        ("", 0),
        ("now", 0),
        ("now-1s", -S),
        ("now+1s", S),
        ("now-1min", -60 * S),
        ("now-1m", -60 * S),
        ("now-1ms", -60 * S),
        ("now-1h", -3600 * S),
        ("now-1d", -86_400 * S),
        ("now-1w", -7 * 86_400 * S),
        ("now-1mon", -30 * 86_400 * S),
        ("now-1M", -30 * 86_400 * S),
        ("now-1y", -365 * 86_400 * S),
        ("now-1", 0),
        ("now-1h30m", -3600 * S),
        (" now - 1_0 s ", -10 * S),
        ("-1h", -3600 * S),
    ];
    for (s, offset) in cases {
        assert_eq!(attime::parse(s, NOW).unwrap(), NOW + offset, "{s:?}");
    }
}

#[test]
fn attime_refuses_what_pyroscope_would_silently_read_as_now() {
    for s in ["yesterday", "2020-01-01T00:00:00Z", "now-1x", "99999999999999999999", "now-9999999999999y"] {
        let err = attime::parse(s, NOW).unwrap_err();
        assert!(err.to_string().contains("time"), "{s:?}: {err}");
    }
}

// ---- sample_type_config ----

#[test]
fn go_sdk_block_sample_type_config_names_the_upload_block() {
    let json = br#"{"contentions":{"display-name":"block_count","units":"lock_samples"},
                    "delay":{"display-name":"block_duration","units":"lock_nanoseconds"}}"#;
    let config = sample_type_config::parse(json).unwrap().unwrap();
    assert_eq!(config["contentions"].display_name.as_deref(), Some("block_count"));
    assert_eq!(config["delay"].units, "lock_nanoseconds");
    let block = pprof::decode(GO_BLOCK).unwrap();
    assert_eq!(sample_type_config::metric_name(&block, Some(&config)), "block");
    // Without the config the default mapping calls contentions mutex_count.
    assert_eq!(sample_type_config::metric_name(&block, None), "mutex");
}

#[test]
fn sample_type_config_replaces_the_default_mapping_and_null_does_not() {
    let cpu = pprof::decode(GO_CPU).unwrap();
    assert_eq!(sample_type_config::metric_name(&cpu, None), "process_cpu");
    assert!(sample_type_config::parse(b"null").unwrap().is_none());
    let empty = sample_type_config::parse(b"{}").unwrap().unwrap();
    // `cpu` (the sample type cpu/nanoseconds) still contains "cpu".
    assert_eq!(sample_type_config::metric_name(&cpu, Some(&empty)), "process_cpu");
    let heap = pprof::decode(GO_HEAP).unwrap();
    assert_eq!(sample_type_config::metric_name(&heap, Some(&empty)), "memory");
    let nulls = sample_type_config::parse(br#"{"samples": null}"#).unwrap().unwrap();
    assert!(nulls.is_empty());
}

#[test]
fn metric_name_prefers_a_wall_sample_type_and_falls_back_to_the_last_name() {
    let wall = ProfileBuilder::new(&[("samples", "count"), ("wall", "microseconds")], ("", ""), 0).build();
    assert_eq!(sample_type_config::metric_name(&wall, None), "wall");
    let other = ProfileBuilder::new(&[("foo", "count"), ("bar", "count")], ("", ""), 0).build();
    assert_eq!(sample_type_config::metric_name(&other, None), "bar");
}

#[test]
fn bad_sample_type_config_json_is_a_malformed_error() {
    let err = sample_type_config::parse(b"{\"a\": 3}").unwrap_err();
    assert_eq!(err.format, "sample_type_config");
}

// ---- legacy pprof / JFR labels ----

#[test]
fn go_sdk_pprof_upload_gets_pyroscope_labels() {
    let name =
        IngestName::parse("my-app{__session_id__=abc,env=prod,process.runtime.name=go,__secret__=x,service_name_x=1}")
            .unwrap();
    let cpu = pprof::decode(GO_CPU).unwrap();
    let ls = legacy::pprof_labels(&name, "gospy", &cpu, None);
    assert_eq!(
        ls,
        pairs(&[
            ("__delta__", "false"),
            ("__name__", "process_cpu"),
            ("__session_id__", "abc"),
            ("env", "prod"),
            ("process.runtime.name", "go"),
            ("pyroscope_spy", "gospy"),
            ("service_name", "my-app"),
            ("service_name_x", "1"),
        ])
    );
    let own = IngestName::parse("my-app{service_name=svc}").unwrap();
    let ls = legacy::pprof_labels(&own, "gospy", &cpu, None);
    assert_eq!(label(&ls, "service_name"), Some("svc"));
    assert_eq!(label(&ls, "app_name"), None);
}

#[test]
fn jfr_upload_labels_name_the_event_and_move_the_app_to_app_name() {
    let name = IngestName::parse("shop{service_name=svc,region=eu}").unwrap();
    let ls = legacy::jfr_labels(&name, "javaspy", "process_cpu", "itimer");
    assert_eq!(
        ls,
        pairs(&[
            ("__delta__", "false"),
            ("__name__", "process_cpu"),
            ("app_name", "shop"),
            ("jfr_event", "itimer"),
            ("pyroscope_spy", "javaspy"),
            ("region", "eu"),
            ("service_name", "svc"),
        ])
    );
}

#[test]
fn fix_time_replaces_zero_and_1970_timestamps_with_from() {
    let mut p = Profile::default();
    legacy::fix_time(&mut p, NOW);
    assert_eq!(p.time_nanos, NOW);
    p.time_nanos = 1_600_000_000_000_000; // microseconds by mistake: 1970-01-19
    legacy::fix_time(&mut p, 7);
    assert_eq!(p.time_nanos, 7);
    p.time_nanos = NOW;
    legacy::fix_time(&mut p, 7);
    assert_eq!(p.time_nanos, NOW);
}

fn scripting_profile() -> Profile {
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
    let f_rel = b.function("work", "app/main.py");
    let f_abs = b.function("sleep", "/usr/lib/python3/time.py");
    let l1 = b.function_location(f_rel, 3);
    let l2 = b.function_location(f_abs, 9);
    b.add_sample(vec![l2, l1], &[5], Vec::new());
    b.build()
}

fn leaf_to_root(p: &Profile) -> Vec<String> {
    p.samples[0]
        .locations
        .iter()
        .map(|&l| p.function_name(p.locations[l as usize].lines[0].function).to_owned())
        .collect()
}

#[test]
fn scripting_spies_name_functions_by_file_and_pyspy_skips_absolute_paths() {
    let mut p = scripting_profile();
    scripting_names::fix_function_names(&mut p, "pyspy");
    assert_eq!(leaf_to_root(&p), ["sleep", "app/main.py work"]);
    let mut p = scripting_profile();
    scripting_names::fix_function_names(&mut p, "rbspy");
    assert_eq!(leaf_to_root(&p), ["/usr/lib/python3/time.py sleep", "app/main.py work"]);
    let mut p = scripting_profile();
    scripting_names::fix_function_names(&mut p, "gospy");
    assert_eq!(leaf_to_root(&p), ["sleep", "work"]);
}

// ---- text and tree uploads ----

fn folded_profile() -> Profile {
    folded::decode(b"main;work 3\nmain;idle 1\n").unwrap()
}

#[test]
fn myapp_cpu_with_sample_rate_becomes_cpu_nanoseconds() {
    let name = IngestName::parse("myapp.cpu{env=prod}").unwrap();
    let params = LegacyParams::from_query(Some("100"), Some("rbspy"), None, None);
    let s = legacy::text_series(&name, &params, NOW, folded_profile()).unwrap().unwrap();
    let pushed = prepare(&s.labels, s.profile, 0, NOW, &Limits::default()).unwrap();
    let ids: Vec<String> = pushed.series.iter().map(|x| x.profile_type.id()).collect();
    assert_eq!(ids, ["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]);
    assert_eq!(pushed.profile.period, 10_000_000);
    assert_eq!(pushed.profile.time_nanos, NOW);
    let tree = Tree::from_profile(&pushed.profile, 0);
    assert_eq!(tree.folded_map()["main;work"], 30_000_000);
    assert_eq!(tree.folded_map()["main;idle"], 10_000_000);
    let ls = &pushed.series[0].labels;
    assert_eq!(label(ls, "service_name"), Some("myapp"));
    assert_eq!(label(ls, "env"), Some("prod"));
    assert_eq!(label(ls, "pyroscope_spy"), Some("rbspy"));
    assert!(!pushed.delta);
}

#[test]
fn text_uploads_without_sample_rate_keep_their_legacy_type_and_no_period() {
    let params = LegacyParams::from_query(Some("0"), None, None, None);
    let cases = [
        ("myapp", "process_cpu:samples:count::"),
        ("myapp.wall", "wall:samples:count::"),
        ("myapp.alloc_space", "memory:alloc_space:bytes::"),
        ("myapp.block_duration", "block:delay:nanoseconds::"),
        ("myapp.goroutines", "goroutine:goroutines:count::"),
    ];
    for (n, id) in cases {
        let s = legacy::text_series(&IngestName::parse(n).unwrap(), &params, NOW, folded_profile()).unwrap().unwrap();
        let pushed = prepare(&s.labels, s.profile, 0, NOW, &Limits::default()).unwrap();
        assert_eq!(pushed.series[0].profile_type.id(), id, "{n}");
        assert_eq!(Tree::from_profile(&pushed.profile, 0).folded_map()["main;work"], 3);
    }
}

#[test]
fn wall_with_sample_rate_becomes_wall_nanoseconds_over_a_cpu_period() {
    let name = IngestName::parse("myapp.wall").unwrap();
    let params = LegacyParams::from_query(Some("20"), None, None, None);
    let s = legacy::text_series(&name, &params, NOW, folded_profile()).unwrap().unwrap();
    let pushed = prepare(&s.labels, s.profile, 0, NOW, &Limits::default()).unwrap();
    assert_eq!(pushed.series[0].profile_type.id(), "wall:wall:nanoseconds:cpu:nanoseconds");
    assert_eq!(Tree::from_profile(&pushed.profile, 0).folded_map()["main;work"], 150_000_000);
}

#[test]
fn text_upload_with_its_own_service_name_records_the_app_as_app_name() {
    let name = IngestName::parse("myapp.cpu{service_name=svc}").unwrap();
    let s = legacy::text_series(&name, &LegacyParams::from_query(None, None, None, None), NOW, folded_profile())
        .unwrap()
        .unwrap();
    assert_eq!(label(&s.labels, "service_name"), Some("svc"));
    assert_eq!(label(&s.labels, "app_name"), Some("myapp"));
    assert_eq!(label(&s.labels, "pyroscope_spy"), Some("unknown"));
}

#[test]
fn text_upload_with_unknown_suffix_is_refused_and_exemplars_are_dropped() {
    let params = LegacyParams::from_query(None, None, None, None);
    let err = legacy::text_series(&IngestName::parse("my.app").unwrap(), &params, NOW, folded_profile()).unwrap_err();
    assert!(err.message.contains("\"app\""), "{err}");
    let exemplar = IngestName::parse("myapp.cpu{profile_id=123}").unwrap();
    assert!(legacy::text_series(&exemplar, &params, NOW, folded_profile()).unwrap().is_none());
}

#[test]
fn legacy_params_fall_back_to_pyroscope_defaults() {
    let p = LegacyParams::from_query(Some("-5"), Some(""), None, None);
    assert_eq!(
        (p.sample_rate, p.spy_name.as_str(), p.units.as_str(), p.aggregation_type.as_str()),
        (100, "unknown", "samples", "sum")
    );
    assert_eq!(LegacyParams::from_query(Some("abc"), None, None, None).sample_rate, 100);
    let p = LegacyParams::from_query(Some("250"), Some("gospy"), Some("objects"), Some("average"));
    assert_eq!((p.sample_rate, p.units.as_str(), p.aggregation_type.as_str()), (250, "objects", "average"));
}

// ---- Push normalisation ----

#[test]
fn go_cpu_pprof_splits_into_one_series_per_sample_type() {
    let cpu = pprof::decode(GO_CPU).unwrap();
    let request = pairs(&[("__name__", "process_cpu"), ("service_name", "go-app"), ("__session_id__", "s1")]);
    let now = cpu.time_nanos + 15 * S;
    let pushed = prepare(&request, cpu, 10_000, now, &Limits::default()).unwrap();
    let ids: Vec<String> = pushed.series.iter().map(|s| s.profile_type.id()).collect();
    assert_eq!(ids, ["process_cpu:samples:count:cpu:nanoseconds", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"]);
    let s = &pushed.series[1];
    assert_eq!(s.sample_type, 1);
    assert_eq!(s.samples, None);
    assert_eq!(
        s.labels,
        pairs(&[
            ("__name__", "process_cpu"),
            ("__period_type__", "cpu"),
            ("__period_unit__", "nanoseconds"),
            ("__profile_type__", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"),
            ("__service_name__", "go-app"),
            ("__session_id__", "s1"),
            ("__type__", "cpu"),
            ("__unit__", "nanoseconds"),
            ("service_name", "go-app"),
        ])
    );
    assert!(pushed.delta, "no __delta__=\"false\" means the server may compute deltas");
}

#[test]
fn legacy_go_pprof_upload_goes_through_push_with_delta_false() {
    let name = IngestName::parse("my-app").unwrap();
    let cpu = pprof::decode(GO_CPU).unwrap();
    let ls = legacy::pprof_labels(&name, "gospy", &cpu, None);
    let now = cpu.time_nanos;
    let pushed = prepare(&ls, cpu, 10_000, now, &Limits::default()).unwrap();
    assert!(!pushed.delta);
    assert!(pushed.series.iter().all(|s| label(&s.labels, "__delta__").is_none()));
    assert_eq!(label(&pushed.series[0].labels, "pyroscope_spy"), Some("gospy"));
}

#[test]
fn missing_service_name_becomes_unknown_service() {
    let (ls, _) = request_labels(&pairs(&[("__name__", "memory")])).unwrap();
    assert_eq!(label(&ls, "service_name"), Some("unknown_service"));
}

#[test]
fn reserved_labels_are_refused_naming_the_label() {
    for name in ["__type__", "__profile_type__", "__foo"] {
        let err = request_labels(&pairs(&[("__name__", "memory"), (name, "x")])).unwrap_err();
        assert_eq!(err.reason, Reason::InvalidLabels);
        assert!(err.message.contains(name), "{err}");
    }
    assert!(request_labels(&pairs(&[("__name__", "m"), ("__session_id__", "1"), ("__delta__", "false")])).is_ok());
}

fn labelled_profile() -> Profile {
    let mut b = ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10);
    let main = b.frame("main");
    let work = b.frame("work");
    let (ctl, slow, fast) = (b.intern("controller"), b.intern("slow"), b.intern("fast"));
    let (pid, span, bytes) = (b.intern("profile_id"), b.intern("00ff"), b.intern("bytes"));
    let str_label = |key, str| Label { key, str, ..Label::default() };
    b.add_sample(vec![work, main], &[2, 20], vec![str_label(ctl, slow), str_label(pid, span)]);
    b.add_sample(vec![main], &[1, 10], vec![str_label(ctl, fast), Label { key: bytes, num: 64, ..Label::default() }]);
    b.add_sample(vec![main], &[1, 10], vec![str_label(ctl, fast)]);
    b.add_sample(vec![work], &[0, 0], Vec::new());
    b.add_sample(vec![work], &[-1, 5], Vec::new());
    b.build()
}

#[test]
fn normalize_drops_zero_and_negative_samples_merges_duplicates_and_renames_profile_id() {
    let mut p = labelled_profile();
    normalize(&mut p, NOW);
    assert_eq!(p.time_nanos, NOW);
    assert_eq!(p.samples.len(), 2);
    assert_eq!(p.totals(), [4, 40]);
    let first = &p.samples[0];
    assert_eq!(p.label_str(first, "span_id"), Some("00ff"));
    assert_eq!(p.label_str(first, "profile_id"), None);
    assert!(p.samples.iter().flat_map(|s| &s.labels).all(|l| l.str != 0), "numeric labels are removed");
}

#[test]
fn sample_labels_split_series_but_span_ids_stay_on_samples() {
    let request = pairs(&[("__name__", "process_cpu"), ("service_name", "api")]);
    let pushed = prepare(&request, labelled_profile(), 100, NOW, &Limits::default()).unwrap();
    assert_eq!(pushed.series.len(), 4, "2 label groups x 2 sample types");
    for s in &pushed.series {
        let controller = label(&s.labels, "controller").unwrap();
        let samples = s.samples.as_ref().unwrap();
        assert_eq!(samples.len(), 1);
        let sample = &pushed.profile.samples[samples[0] as usize];
        assert_eq!(pushed.profile.label_str(sample, "controller"), Some(controller));
        assert!(label(&s.labels, "span_id").is_none());
    }
    let slow = pushed.series.iter().find(|s| label(&s.labels, "controller") == Some("slow")).unwrap();
    let sample = &pushed.profile.samples[slow.samples.as_ref().unwrap()[0] as usize];
    assert_eq!(pushed.profile.label_str(sample, "span_id"), Some("00ff"));
}

#[test]
fn a_profile_left_empty_by_normalisation_stores_no_series() {
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
    b.add_stack(&["main"], &[0]);
    let pushed = prepare(&pairs(&[("__name__", "process_cpu")]), b.build(), 10, NOW, &Limits::default()).unwrap();
    assert!(pushed.series.is_empty());
}

// ---- limits ----

#[test]
fn default_limits_are_pyroscopes() {
    let l = Limits::default();
    assert_eq!(l.max_profile_size_bytes, 4 * 1024 * 1024);
    assert_eq!(l.max_profile_stacktrace_samples, 16_000);
    assert_eq!(l.max_profile_stacktrace_depth, 1_000);
    assert_eq!(l.max_profile_stacktrace_sample_labels, 100);
    assert_eq!(l.max_profile_symbol_value_length, 65_535);
    assert_eq!(l.max_label_names_per_series, 30);
    assert_eq!(l.max_label_name_length, 1_024);
    assert_eq!(l.max_label_value_length, 2_048);
    assert_eq!((l.reject_older_than_nanos, l.reject_newer_than_nanos), (3_600 * S, 600 * S));
}

#[test]
fn profiles_outside_the_ingestion_window_are_refused() {
    let ls = pairs(&[("__name__", "process_cpu"), ("service_name", "a")]);
    let cpu = pprof::decode(GO_CPU).unwrap();
    let t = cpu.time_nanos;
    let l = Limits::default();
    assert!(validate(&cpu, 10, &ls, t + 3_599 * S, &l).is_ok());
    assert_eq!(validate(&cpu, 10, &ls, t + 3_601 * S, &l).unwrap_err().reason.as_str(), "not_in_ingestion_window");
    assert_eq!(validate(&cpu, 10, &ls, t - 601 * S, &l).unwrap_err().reason, Reason::NotInIngestionWindow);
    let open = Limits { reject_older_than_nanos: 0, reject_newer_than_nanos: 0, ..Limits::default() };
    assert!(validate(&cpu, 10, &ls, NOW, &open).is_ok(), "0 disables the window");
}

#[test]
fn profiles_over_the_limits_are_refused_with_pyroscopes_reason() {
    let ls = pairs(&[("__name__", "process_cpu"), ("service_name", "a")]);
    let cpu = pprof::decode(GO_CPU).unwrap();
    let l = Limits::default();
    let err = validate(&cpu, 5 << 20, &ls, cpu.time_nanos, &l).unwrap_err();
    assert_eq!((err.reason, err.reason.as_str()), (Reason::ProfileSizeLimit, "profile_size_limit"));
    assert!(err.message.contains("service_name=\"a\""), "{err}");
    let few = Limits { max_profile_stacktrace_samples: 1, ..Limits::default() };
    assert_eq!(validate(&cpu, 10, &ls, cpu.time_nanos, &few).unwrap_err().reason.as_str(), "samples_limit");
    let one_label = Limits { max_profile_stacktrace_sample_labels: 1, ..Limits::default() };
    assert_eq!(
        validate(&labelled_profile(), 10, &ls, NOW, &one_label).unwrap_err().reason.as_str(),
        "sample_labels_limit"
    );
    let dashed = ProfileBuilder::new(&[("inuse-space", "bytes")], ("", ""), 0).build();
    let err = validate(&dashed, 10, &ls, NOW, &l).unwrap_err();
    assert_eq!(err.reason.as_str(), "malformed_profile");
    assert!(err.message.contains("inuse-space"));
    let none = Profile::default();
    assert_eq!(validate(&none, 10, &ls, NOW, &l).unwrap_err().reason, Reason::MalformedProfile);
}

#[test]
fn series_labels_over_the_limits_are_refused() {
    let l = Limits::default();
    let base = |extra: &[(&str, &str)]| {
        let mut ls = pairs(&[("__name__", "m"), ("service_name", "a")]);
        ls.extend(pairs(extra));
        ls.sort();
        ls
    };
    let long_name = "n".repeat(1025);
    let long_value = "v".repeat(2049);
    let many: Vec<(String, String)> = (0..30).map(|i| (format!("l{i:02}"), "v".to_string())).collect();
    let mut too_many = base(&[]);
    too_many.extend(many);
    too_many.sort();
    let cases: [(Vec<(String, String)>, &str); 6] = [
        (Vec::new(), "missing_labels"),
        (pairs(&[("service_name", "a")]), "invalid_labels"),
        (pairs(&[("__name__", "m")]), "missing_labels"),
        (base(&[(long_name.as_str(), "x")]), "label_name_too_long"),
        (base(&[("k", long_value.as_str())]), "label_value_too_long"),
        (too_many, "max_label_names_per_series"),
    ];
    for (ls, reason) in cases {
        assert_eq!(validate_labels(&ls, &l).unwrap_err().reason.as_str(), reason, "{ls:?}");
    }
    assert_eq!(
        validate_labels(&base(&[("k", "1"), ("k", "2")]), &l).unwrap_err().reason.as_str(),
        "duplicate_label_names"
    );
    assert!(validate_labels(&base(&[("process.runtime.name", "go")]), &l).is_ok());
}

#[test]
fn truncate_keeps_root_frames_and_symbol_tails() {
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("", ""), 0);
    let long = format!("{}é{}", "a".repeat(10), "z".repeat(5));
    b.add_stack(&["root", "mid", long.as_str()], &[1]);
    let mut p = b.build();
    truncate(
        &mut p,
        &Limits { max_profile_stacktrace_depth: 2, max_profile_symbol_value_length: 6, ..Limits::default() },
    );
    let tree = Tree::from_profile(&p, 0);
    assert_eq!(tree.folded_map().keys().collect::<Vec<_>>(), ["root;mid"]);
    assert!(p.strings.iter().any(|s| s == "zzzzz"), "6 bytes back lands inside 'é': moved to the next char");
}

// ---- JFR context labels ----

fn snapshot() -> LabelsSnapshot {
    let mut s = LabelsSnapshot::default();
    for (id, text) in [(1, "controller"), (2, "checkout"), (3, "region"), (4, "eu")] {
        s.strings.insert(id, text.to_string());
    }
    s.contexts.insert(7, Context { labels: [(1, 2), (3, 4)].into_iter().collect() });
    s.contexts.insert(8, Context { labels: [(1, 99)].into_iter().collect() });
    s
}

fn jfr_like_profile() -> Profile {
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    let key = b.intern(CONTEXT_ID_LABEL);
    let f = b.frame("Main.run");
    for ctx in [7, 8, 9] {
        b.add_sample(vec![f], &[10_000_000], vec![Label { key, num: ctx, ..Label::default() }]);
    }
    b.add_sample(vec![f], &[10_000_000], Vec::new());
    b.build()
}

#[test]
fn jfr_context_ids_become_the_snapshots_string_labels() {
    let bytes = snapshot().encode_to_vec();
    for data in [bytes.clone(), gzip::gzip(&bytes)] {
        let mut p = jfr_like_profile();
        jfr_labels::apply(&mut p, &jfr_labels::decode(&data).unwrap());
        let s0 = &p.samples[0];
        assert_eq!(p.label_str(s0, "controller"), Some("checkout"));
        assert_eq!(p.label_str(s0, "region"), Some("eu"));
        assert!(p.samples.iter().flat_map(|s| &s.labels).all(|l| p.str(l.key) != CONTEXT_ID_LABEL));
        assert!(p.samples[1].labels.is_empty(), "a value missing from strings is skipped");
        assert!(p.samples[2].labels.is_empty(), "an unknown context adds nothing");
    }
}

#[test]
fn jfr_contexts_become_series_labels_after_push_normalisation() {
    let mut p = jfr_like_profile();
    jfr_labels::apply(&mut p, &snapshot());
    let name = IngestName::parse("shop").unwrap();
    let ls = legacy::jfr_labels(&name, "javaspy", "process_cpu", "itimer");
    let pushed = prepare(&ls, p, 100, NOW, &Limits::default()).unwrap();
    assert_eq!(pushed.series.len(), 2, "samples without labels merge into one group");
    let checkout = pushed.series.iter().find(|s| label(&s.labels, "controller") == Some("checkout")).unwrap();
    assert_eq!(label(&checkout.labels, "region"), Some("eu"));
    assert_eq!(checkout.profile_type.id(), "process_cpu:cpu:nanoseconds:cpu:nanoseconds");
}

#[test]
fn malformed_jfr_labels_are_an_error_naming_the_field() {
    let err = jfr_labels::decode(&[0x0a, 0xff, 0xff, 0xff]).unwrap_err();
    assert_eq!(err.format, "jfr labels");
}
