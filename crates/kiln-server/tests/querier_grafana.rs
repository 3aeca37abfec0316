//! A client speaking exactly as Grafana's Pyroscope data source does
//! (Connect, binary protobuf, `POST /querier.v1.QuerierService/<Method>`,
//! `Content-Type: application/proto`) against a real `kiln server` on
//! loopback, after ingesting through the real ingest routes: the Go SDK's
//! pprof upload and folded uploads with known stacks at known times. Every
//! number is checked against a reference computed here from what was sent.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use common::http;

use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_model::flamegraph::tree_from_flame_graph;
use kiln_model::Tree;
use prost::Message;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
const TENANT: &str = "grafana-org";
/// `sampleRate=100`: each folded sample is 10 ms of CPU.
const PERIOD_NANOS: i64 = 10_000_000;

/// A unary Connect call as connect-go makes it, as Grafana's tenant.
fn connect<Resp: Message + Default>(addr: SocketAddr, method: &str, req: &impl Message) -> Result<Resp, String> {
    common::connect(addr, TENANT, method, req)
}

/// A folded upload of `shop.cpu{env=...}` at `from` (Unix seconds).
struct Upload {
    from: i64,
    env: &'static str,
    stacks: Vec<(&'static str, i64)>,
}

fn uploads(t0: i64) -> Vec<Upload> {
    (0..6)
        .map(|i| Upload {
            from: t0 + 10 * i,
            env: if i % 2 == 0 { "prod" } else { "staging" },
            stacks: vec![("main;work;parse", 3 * (i + 1)), ("main;work;render", 2 * (i + 1)), ("main;idle", 5)],
        })
        .collect()
}

fn ingest(addr: SocketAddr, t0: i64) {
    for u in uploads(t0) {
        let body: String = u.stacks.iter().map(|(s, v)| format!("{s} {v}\n")).collect();
        let path = format!(
            "/ingest?name=shop.cpu%7Benv%3D{}%7D&from={}&until={}&sampleRate=100&spyName=gospy",
            u.env,
            u.from,
            u.from + 10
        );
        let (status, resp) =
            http(addr, &path, &[("Content-Type", "text/plain"), ("X-Scope-OrgID", TENANT)], body.as_bytes());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    }
    let b = "goSDKboundary";
    let mut form = format!("--{b}\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    form.extend_from_slice(GO_CPU);
    form.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={b}");
    let path = format!("/ingest?name=checkout&from={t0}&until={}&spyName=gospy&sampleRate=100", t0 + 10);
    let (status, resp) = http(addr, &path, &[("Content-Type", &ct), ("X-Scope-OrgID", TENANT)], &form);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
}

fn merge_request(selector: &str, start: i64, end: i64) -> q::SelectMergeStacktracesRequest {
    q::SelectMergeStacktracesRequest {
        profile_type_id: CPU.into(),
        label_selector: selector.into(),
        start,
        end,
        max_nodes: Some(1 << 20),
        ..Default::default()
    }
}

fn flame_graph_stacks(addr: SocketAddr, req: &q::SelectMergeStacktracesRequest) -> BTreeMap<String, i64> {
    let resp: q::SelectMergeStacktracesResponse = connect(addr, "SelectMergeStacktraces", req).unwrap();
    let fg = resp.flamegraph.expect("a flame graph");
    let stacks = tree_from_flame_graph(&fg).unwrap().folded_map();
    assert_eq!(fg.total, stacks.values().sum::<i64>(), "the flame graph total is the sum of its stacks");
    stacks
}

/// The Go fixture's CPU stacks as the SDK sent them.
fn go_reference() -> BTreeMap<String, i64> {
    let p = kiln_model::pprof::decode(GO_CPU).unwrap();
    let cpu = p.sample_types.iter().position(|s| p.strings[s.ty as usize] == "cpu").unwrap();
    Tree::from_profile(&p, cpu).folded_map()
}

/// A range in ms covering every upload: the folded ones at `t0` and after,
/// and the Go profile at its own (older) timestamp.
fn everything(t0: i64) -> (i64, i64) {
    let go_ms = kiln_model::pprof::decode(GO_CPU).unwrap().time_nanos / 1_000_000;
    (go_ms.min(t0 * 1000) - 60_000, (t0 + 3600) * 1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grafana_data_source_reads_what_was_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback(dir.path()).await;
    let addr = running.addr;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let t0 = (now - 1800) / 60 * 60;
    tokio::task::spawn_blocking(move || {
        ingest(addr, t0);
        health_check_lists_profile_types(addr, t0);
        labels_and_values(addr, t0);
        flame_graphs(addr, t0);
        time_series(addr, t0);
        bad_requests_are_invalid_argument(addr, t0);
        other_formats_and_methods(addr, t0);
        profile_id_selector_merges_exactly_those_profiles(addr, t0);
        span_profile_merges_the_samples_of_those_spans(addr, t0);
    })
    .await
    .unwrap();
    running.shutdown().await.unwrap();
}

fn health_check_lists_profile_types(addr: SocketAddr, t0: i64) {
    let (start, end) = everything(t0);
    let req = q::ProfileTypesRequest { start, end };
    let resp: q::ProfileTypesResponse = connect(addr, "ProfileTypes", &req).unwrap();
    let ids: Vec<&str> = resp.profile_types.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, [CPU, "process_cpu:samples:count:cpu:nanoseconds"]);
    let cpu = &resp.profile_types[0];
    assert_eq!(
        (cpu.name.as_str(), cpu.sample_type.as_str(), cpu.sample_unit.as_str()),
        ("process_cpu", "cpu", "nanoseconds")
    );
    let before: q::ProfileTypesResponse =
        connect(addr, "ProfileTypes", &q::ProfileTypesRequest { start: 1000, end: 2000 }).unwrap();
    assert!(before.profile_types.is_empty(), "nothing was ingested in 1970");
}

fn labels_and_values(addr: SocketAddr, t0: i64) {
    let (start, end) = everything(t0);
    let req = t::LabelNamesRequest { matchers: vec!["{service_name=\"shop\"}".into()], start, end };
    let names: t::LabelNamesResponse = connect(addr, "LabelNames", &req).unwrap();
    // Grafana hides names starting with `__`.
    let visible: Vec<&str> = names.names.iter().map(String::as_str).filter(|n| !n.starts_with("__")).collect();
    assert_eq!(visible, ["env", "pyroscope_spy", "service_name"]);
    assert!(names.names.iter().any(|n| n == "__profile_type__"), "{:?}", names.names);
    let value_req = |name: &str, matcher: &str| t::LabelValuesRequest {
        name: name.into(),
        matchers: vec![matcher.into()],
        start,
        end,
    };
    let services: t::LabelValuesResponse = connect(addr, "LabelValues", &value_req("service_name", "{}")).unwrap();
    assert_eq!(services.names, ["checkout", "shop"]);
    let envs: t::LabelValuesResponse =
        connect(addr, "LabelValues", &value_req("env", "{service_name=\"shop\"}")).unwrap();
    assert_eq!(envs.names, ["prod", "staging"]);
    let series_req = q::SeriesRequest {
        matchers: vec![format!("{{__profile_type__=\"{CPU}\"}}")],
        label_names: vec!["service_name".into(), "env".into()],
        start,
        end,
    };
    let series: q::SeriesResponse = connect(addr, "Series", &series_req).unwrap();
    let sets: BTreeSet<Vec<(String, String)>> = series
        .labels_set
        .iter()
        .map(|l| l.labels.iter().map(|p| (p.name.clone(), p.value.clone())).collect())
        .collect();
    let expected: BTreeSet<Vec<(String, String)>> = [
        vec![("env".into(), "prod".into()), ("service_name".into(), "shop".into())],
        vec![("env".into(), "staging".into()), ("service_name".into(), "shop".into())],
        vec![("service_name".into(), "checkout".into())],
    ]
    .into();
    assert_eq!(sets, expected);
}

fn flame_graphs(addr: SocketAddr, t0: i64) {
    let (start, end) = ((t0 - 60) * 1000, (t0 + 3600) * 1000);
    let mut shop = BTreeMap::new();
    for u in uploads(t0).iter().filter(|u| u.env == "prod") {
        for (stack, v) in &u.stacks {
            *shop.entry(stack.to_string()).or_insert(0) += v * PERIOD_NANOS;
        }
    }
    let got = flame_graph_stacks(addr, &merge_request("{service_name=\"shop\", env=~\"pro.\"}", start, end));
    assert_eq!(got, shop);
    // The Go SDK's pprof, whatever its own timestamp.
    let got =
        flame_graph_stacks(addr, &merge_request("{service_name=\"checkout\"}", everything(t0).0, everything(t0).1));
    assert_eq!(got, go_reference());
    let mut focused = merge_request("{service_name=\"shop\"}", start, end);
    focused.stack_trace_selector = Some(t::StackTraceSelector {
        call_site: vec![t::Location { name: "main".into() }, t::Location { name: "work".into() }],
        go_pgo: None,
    });
    let work = flame_graph_stacks(addr, &focused);
    assert_eq!(work.keys().collect::<Vec<_>>(), ["main;work;parse", "main;work;render"]);
    assert_eq!(work["main;work;parse"], (1..=6).map(|i| 3 * i).sum::<i64>() * PERIOD_NANOS);
}

fn time_series(addr: SocketAddr, t0: i64) {
    let (start, end, step) = (t0 * 1000, (t0 + 120) * 1000, 15.0);
    let req = q::SelectSeriesRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"shop\"}".into(),
        start,
        end,
        group_by: vec!["env".into()],
        step,
        ..Default::default()
    };
    let resp: q::SelectSeriesResponse = connect(addr, "SelectSeries", &req).unwrap();
    // Each upload counts toward the first point at or after it.
    let mut expected: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    let step_ms = (step * 1000.0) as i64;
    for u in uploads(t0) {
        let at = u.from * 1000;
        let point = start + (at - start + step_ms - 1).div_euclid(step_ms) * step_ms;
        let total: i64 = u.stacks.iter().map(|(_, v)| v * PERIOD_NANOS).sum();
        *expected.entry(u.env.to_owned()).or_default().entry(point).or_default() += total as f64;
    }
    let got: BTreeMap<String, BTreeMap<i64, f64>> = resp
        .series
        .iter()
        .map(|s| {
            assert_eq!(s.labels.len(), 1, "only the group_by label");
            (s.labels[0].value.clone(), s.points.iter().map(|p| (p.timestamp, p.value)).collect())
        })
        .collect();
    assert_eq!(got, expected);
}

fn bad_requests_are_invalid_argument(addr: SocketAddr, t0: i64) {
    let mut req = merge_request("{service_name=\"shop\"", t0 * 1000, (t0 + 60) * 1000);
    let err = connect::<q::SelectMergeStacktracesResponse>(addr, "SelectMergeStacktraces", &req).unwrap_err();
    assert!(err.starts_with("400 ") && err.contains("invalid_argument") && err.contains("selector"), "{err}");
    req.label_selector = "{}".into();
    req.profile_type_id = "cpu".into();
    let err = connect::<q::SelectMergeStacktracesResponse>(addr, "SelectMergeStacktraces", &req).unwrap_err();
    assert!(err.contains("invalid_argument") && err.contains("profile type"), "{err}");
    req.profile_type_id = CPU.into();
    req.end = req.start - 1;
    let err = connect::<q::SelectMergeStacktracesResponse>(addr, "SelectMergeStacktraces", &req).unwrap_err();
    assert!(err.contains("invalid_argument") && err.contains("time range"), "{err}");
}

/// The folded uploads' stacks, scaled to nanoseconds, for `env` (all when
/// `None`).
fn shop_reference(t0: i64, env: Option<&str>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for u in uploads(t0).iter().filter(|u| env.is_none_or(|e| e == u.env)) {
        for (stack, v) in &u.stacks {
            *out.entry(stack.to_string()).or_insert(0) += v * PERIOD_NANOS;
        }
    }
    out
}

fn pprof_stacks(p: &kiln_model::pb::google::v1::Profile) -> BTreeMap<String, i64> {
    let decoded = kiln_model::pprof::decode(&p.encode_to_vec()).unwrap();
    let st = &decoded.sample_types[0];
    assert_eq!(
        (decoded.strings[st.ty as usize].as_str(), decoded.strings[st.unit as usize].as_str()),
        ("cpu", "nanoseconds")
    );
    Tree::from_profile(&decoded, 0).folded_map()
}

fn other_formats_and_methods(addr: SocketAddr, t0: i64) {
    let (start, end) = ((t0 - 60) * 1000, (t0 + 3600) * 1000);
    let shop = "{service_name=\"shop\"}";
    let mut req = merge_request(shop, start, end);
    req.format = q::ProfileFormat::Tree as i32;
    let resp: q::SelectMergeStacktracesResponse = connect(addr, "SelectMergeStacktraces", &req).unwrap();
    assert_eq!(kiln_model::tree_format::decode_tree(&resp.tree).unwrap().folded_map(), shop_reference(t0, None));
    req.format = q::ProfileFormat::Pprof as i32;
    let resp: q::SelectMergeStacktracesResponse = connect(addr, "SelectMergeStacktraces", &req).unwrap();
    assert_eq!(pprof_stacks(&resp.pprof.unwrap().profile.unwrap()), shop_reference(t0, None));
    let merge = q::SelectMergeProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: shop.into(),
        start,
        end,
        ..Default::default()
    };
    let profile: kiln_model::pb::google::v1::Profile = connect(addr, "SelectMergeProfile", &merge).unwrap();
    assert_eq!(pprof_stacks(&profile), shop_reference(t0, None));

    let mut small = merge_request(shop, start, end);
    small.max_nodes = Some(2);
    let fg = connect::<q::SelectMergeStacktracesResponse>(addr, "SelectMergeStacktraces", &small)
        .unwrap()
        .flamegraph
        .unwrap();
    assert!(fg.names.iter().any(|n| n == "other"), "{:?}", fg.names);
    assert_eq!(fg.total, shop_reference(t0, None).values().sum::<i64>(), "folding keeps the total");

    let diff = q::DiffRequest {
        left: Some(merge_request("{service_name=\"shop\", env=\"prod\"}", start, end)),
        right: Some(merge_request("{service_name=\"shop\", env=\"staging\"}", start, end)),
    };
    let fg = connect::<q::DiffResponse>(addr, "Diff", &diff).unwrap().flamegraph.unwrap();
    let total = |env| shop_reference(t0, Some(env)).values().sum::<i64>();
    assert_eq!((fg.left_ticks, fg.right_ticks), (total("prod"), total("staging")));

    let stats: t::GetProfileStatsResponse = connect(addr, "GetProfileStats", &t::GetProfileStatsRequest {}).unwrap();
    let go_ms = kiln_model::pprof::decode(GO_CPU).unwrap().time_nanos / 1_000_000;
    assert!(stats.data_ingested);
    assert_eq!((stats.oldest_profile_time, stats.newest_profile_time), (go_ms.min(t0 * 1000), (t0 + 50) * 1000));

    let analyze = q::AnalyzeQueryRequest { start, end, query: format!("{CPU}{shop}") };
    let impact: q::AnalyzeQueryResponse = connect(addr, "AnalyzeQuery", &analyze).unwrap();
    let scope = &impact.query_scopes[0];
    assert_eq!((scope.series_count, scope.profile_count), (2, 6));
    assert_eq!(impact.query_impact.unwrap().total_queried_series, 2);

    let span = |id: &str| q::SelectMergeSpanProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: shop.into(),
        span_selector: vec![id.into()],
        start,
        end,
        ..Default::default()
    };
    let resp: q::SelectMergeSpanProfileResponse =
        connect(addr, "SelectMergeSpanProfile", &span("9a517183f26a089d")).unwrap();
    assert_eq!(resp.flamegraph.unwrap().total, 0, "no sample carries that span");
    let err = connect::<q::SelectMergeSpanProfileResponse>(addr, "SelectMergeSpanProfile", &span("xyz")).unwrap_err();
    assert!(err.contains("invalid_argument") && err.contains("span id"), "{err}");
}

fn profile_id_selector_merges_exactly_those_profiles(addr: SocketAddr, t0: i64) {
    use kiln_api::pb::push;
    let id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    let label = |name: &str, value: &str| push::LabelPair { name: name.into(), value: value.into() };
    let series = |id: &str| push::RawProfileSeries {
        labels: vec![label("__name__", "process_cpu"), label("service_name", "pushed")],
        samples: vec![push::RawSample { raw_profile: GO_CPU.to_vec(), id: id.into() }],
    };
    let req = push::PushRequest { series: vec![series(id), series("00000000-0000-4000-8000-000000000001")] };
    let headers = [("Content-Type", "application/proto"), ("X-Scope-OrgID", TENANT)];
    let (status, body) = http(addr, "/push.v1.PusherService/Push", &headers, &req.encode_to_vec());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (start, end) = everything(t0);
    let mut req = merge_request("{service_name=\"pushed\"}", start, end);
    let both = flame_graph_stacks(addr, &req);
    assert_eq!(both, go_reference().into_iter().map(|(k, v)| (k, 2 * v)).collect(), "two copies pushed");
    req.profile_id_selector = vec![id.into()];
    assert_eq!(flame_graph_stacks(addr, &req), go_reference(), "only the selected profile");
    req.profile_id_selector = vec!["not-a-uuid".into()];
    let err = connect::<q::SelectMergeStacktracesResponse>(addr, "SelectMergeStacktraces", &req).unwrap_err();
    assert!(err.contains("invalid_argument") && err.contains("profile id"), "{err}");
}

/// `(root-first stack, value, span id)` samples of a pushed, traced profile.
const SPANNED: [(&str, i64, &str); 5] = [
    ("main;handle;query", 10, "00000000000000aa"),
    ("main;handle;render", 20, "00000000000000bb"),
    ("main;handle;query", 30, "00000000000000cc"),
    ("main;idle", 40, "00000000000000cc"),
    ("main;handle;render", 5, "00000000000000aa"),
];

/// A CPU pprof of [`SPANNED`] at `t0` (Unix seconds).
fn spanned_pprof(t0: i64) -> Vec<u8> {
    let mut b = kiln_model::ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), PERIOD_NANOS);
    for (stack, value, span) in SPANNED {
        let locations = stack.split(';').rev().map(|n| b.frame(n)).collect();
        let label = kiln_model::Label { key: b.intern("span_id"), str: b.intern(span), num: 0, num_unit: 0 };
        b.add_sample(locations, &[value], vec![label]);
    }
    b.set_time(t0 * 1_000_000_000, 10_000_000_000);
    kiln_model::pprof::encode(&b.build())
}

fn span_profile_merges_the_samples_of_those_spans(addr: SocketAddr, t0: i64) {
    use kiln_api::pb::push;
    let label = |name: &str, value: &str| push::LabelPair { name: name.into(), value: value.into() };
    let req = push::PushRequest {
        series: vec![push::RawProfileSeries {
            labels: vec![label("__name__", "process_cpu"), label("service_name", "traced")],
            samples: vec![push::RawSample { raw_profile: spanned_pprof(t0), id: String::new() }],
        }],
    };
    let headers = [("Content-Type", "application/proto"), ("X-Scope-OrgID", TENANT)];
    let (status, body) = http(addr, "/push.v1.PusherService/Push", &headers, &req.encode_to_vec());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (start, end) = everything(t0);
    let spans = ["00000000000000aa", "00000000000000bb"];
    let mut reference = BTreeMap::new();
    for (stack, value, _) in SPANNED.iter().filter(|(_, _, s)| spans.contains(s)) {
        *reference.entry(stack.to_string()).or_insert(0) += value;
    }
    let span_req = q::SelectMergeSpanProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"traced\"}".into(),
        span_selector: spans.iter().map(|s| s.to_string()).collect(),
        start,
        end,
        max_nodes: Some(1 << 20),
        ..Default::default()
    };
    let resp: q::SelectMergeSpanProfileResponse = connect(addr, "SelectMergeSpanProfile", &span_req).unwrap();
    let fg = resp.flamegraph.expect("a flame graph");
    assert_eq!(tree_from_flame_graph(&fg).unwrap().folded_map(), reference);
    assert_eq!(fg.total, reference.values().sum::<i64>(), "the samples of the other span are left out");
}
