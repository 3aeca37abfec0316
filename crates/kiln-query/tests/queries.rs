//! Every query function against a real store holding known profiles,
//! checked against answers computed from the ingested profiles.

mod common;

use std::collections::BTreeMap;

use common::*;
use kiln_model::flamegraph::flame_graph;
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::Tree;
use kiln_query::*;

fn all_ms() -> TimeRangeMs {
    TimeRangeMs::new(T0_MS - 1000, T0_MS + 200_000).unwrap()
}

fn merge_req(profile_type: &str, selector: &str, range: TimeRangeMs) -> MergeRequest {
    MergeRequest {
        profile_type_id: profile_type.into(),
        label_selector: selector.into(),
        range,
        max_nodes: None,
        stack_trace_selector: None,
    }
}

fn series_req(selector: &str, range: TimeRangeMs, step_seconds: f64) -> SeriesRequest {
    SeriesRequest {
        profile_type_id: CPU.into(),
        label_selector: selector.into(),
        range,
        step_seconds,
        group_by: vec![],
        aggregation: Aggregation::Sum,
        limit: None,
    }
}

fn folded(t: &Tree) -> BTreeMap<String, i64> {
    t.folded_map()
}

fn is_cpu(p: &Ingested) -> bool {
    p.label("__profile_type__") == CPU
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_trees_match_the_ingested_stacks_for_every_operator() {
    let (store, data) = fixture_store().await;
    type Keep = fn(&Ingested) -> bool;
    let cases: [(&str, Keep); 6] = [
        ("{}", |_| true),
        (r#"{service_name="api"}"#, |p| p.label("service_name") == "api"),
        (r#"{env=~"prod|staging"}"#, |p| matches!(p.label("env"), "prod" | "staging")),
        (r#"{pod!="a"}"#, |p| p.label("pod") != "a"),
        (r#"{region!~"eu-.*"}"#, |p| !p.label("region").starts_with("eu-")),
        (r#"{service_name="api", env=~"prod|staging", pod!="b", region!~"eu-.*"}"#, |p| {
            p.label("service_name") == "api" && p.label("pod") != "b"
        }),
    ];
    for (selector, keep) in cases {
        let got = select_merge_stacktraces(&store, TENANT, &merge_req(CPU, selector, all_ms())).await.unwrap();
        let want = merged(&data, all_ms(), |p| is_cpu(p) && keep(p));
        assert!(want.total() > 0, "{selector}");
        assert_eq!(folded(&got), folded(&want), "{selector}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_type_id_selects_only_its_own_series() {
    let (store, data) = fixture_store().await;
    let alloc = select_merge_stacktraces(&store, TENANT, &merge_req(ALLOC, "{}", all_ms())).await.unwrap();
    let want = merged(&data, all_ms(), |p| p.label("__profile_type__") == ALLOC);
    assert_eq!(folded(&alloc), folded(&want));
    let unknown = "memory:inuse_space:bytes:space:bytes";
    let none = select_merge_stacktraces(&store, TENANT, &merge_req(unknown, "{}", all_ms())).await.unwrap();
    assert_eq!(none.total(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_range_bounds_are_inclusive_in_nanoseconds_of_whole_milliseconds() {
    let (store, data) = fixture_store().await;
    // Step 4 is 300 µs late (jitter (4 % 3) * 300 µs): an end at its
    // millisecond leaves it out, one at the next millisecond takes it in.
    let late_ms = (T0 + 40 * SEC) / MS;
    for range in [
        TimeRangeMs::new(T0_MS + 10_000, late_ms).unwrap(),
        TimeRangeMs::new(T0_MS + 10_000, late_ms + 1).unwrap(),
        TimeRangeMs::new(late_ms, late_ms).unwrap(),
        TimeRangeMs::new(T0_MS, T0_MS).unwrap(),
    ] {
        let got = select_merge_stacktraces(&store, TENANT, &merge_req(CPU, "{}", range)).await.unwrap();
        assert_eq!(folded(&got), folded(&merged(&data, range, is_cpu)), "{range:?}");
    }
    let one = TimeRangeMs::new(late_ms, late_ms + 1).unwrap();
    let got = select_merge_stacktraces(&store, TENANT, &merge_req(CPU, "{}", one)).await.unwrap();
    assert!(got.total() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flame_graphs_default_to_8192_nodes_and_fold_small_nodes_into_other() {
    let (store, data) = fixture_store().await;
    assert_eq!(resolve_max_nodes(None), Ok(8192));
    assert_eq!(resolve_max_nodes(Some(0)), Ok(8192));
    assert_eq!(resolve_max_nodes(Some(MAX_NODES_LIMIT)), Ok(1_048_576));
    let want = merged(&data, all_ms(), is_cpu);
    let full = select_merge_flame_graph(&store, TENANT, &merge_req(CPU, "{}", all_ms())).await.unwrap();
    assert_eq!(full, flame_graph(&want, 8192));
    let req = MergeRequest { max_nodes: Some(3), ..merge_req(CPU, "{}", all_ms()) };
    let small = select_merge_flame_graph(&store, TENANT, &req).await.unwrap();
    assert_eq!(small, flame_graph(&want, 3));
    assert!(small.names.iter().any(|n| n == "other"), "{:?}", small.names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_site_keeps_only_stacks_with_that_root_first_prefix() {
    let (store, data) = fixture_store().await;
    let site = vec!["main".to_string(), "work".to_string()];
    let req = MergeRequest { stack_trace_selector: Some(site), ..merge_req(CPU, "{}", all_ms()) };
    let got = folded(&select_merge_stacktraces(&store, TENANT, &req).await.unwrap());
    let want: BTreeMap<String, i64> =
        folded(&merged(&data, all_ms(), is_cpu)).into_iter().filter(|(k, _)| k.starts_with("main;work;")).collect();
    assert_eq!(want.len(), 2);
    assert_eq!(got, want);
    // A prefix that is not at the root selects nothing; an empty one, all.
    let req = MergeRequest { stack_trace_selector: Some(vec!["work".into()]), ..merge_req(CPU, "{}", all_ms()) };
    assert_eq!(select_merge_stacktraces(&store, TENANT, &req).await.unwrap().total(), 0);
    let req = MergeRequest { stack_trace_selector: Some(vec![]), ..merge_req(CPU, "{}", all_ms()) };
    let all = select_merge_stacktraces(&store, TENANT, &req).await.unwrap();
    assert_eq!(folded(&all), folded(&merged(&data, all_ms(), is_cpu)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_points_sum_and_average_the_profiles_of_each_step() {
    let (store, data) = fixture_store().await;
    for (start, step) in [(T0_MS, 30.0), (T0_MS - 7_000, 25.0), (T0_MS + 10_000, 10.0), (T0_MS, 0.5)] {
        let range = TimeRangeMs::new(start, T0_MS + 100_000).unwrap();
        for (aggregation, average) in [(Aggregation::Sum, false), (Aggregation::Average, true)] {
            let req = SeriesRequest { aggregation, ..series_req("{}", range, step) };
            let got = select_series(&store, TENANT, &req).await.unwrap();
            let want = grouped_points(&data, is_cpu, &[], range, (step * 1000.0) as i64, average);
            let want: Vec<Series> = want.into_iter().map(|(labels, points)| Series { labels, points }).collect();
            assert_eq!(got, want, "start {start} step {step} {aggregation:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_count_a_profile_toward_the_first_point_at_or_after_its_millisecond() {
    let store = open().await;
    let p = |ns: i64, v: i64| Ingested {
        labels: labels("api", CPU, &[]),
        time_nanos: ns,
        stacks: vec![("main".into(), v)],
    };
    // On the start point and a third of a ms into it; on the next point
    // and 1 ms after it; 0.5 ms after the third point (still that point's
    // millisecond); on the end, and 1 ns after the end (left out), and 1 ns
    // before the start (left out).
    let data = [
        p(T0, 1),
        p(T0 + MS / 3, 16),
        p(T0 + 10 * SEC, 2),
        p(T0 + 10 * SEC + MS, 4),
        p(T0 + 20 * SEC + MS / 2, 8),
        p(T0 + 60 * SEC, 32),
        p(T0 + 60 * SEC + 1, 64),
        p(T0 - 1, 128),
    ];
    ingest(&store, &data).await;
    let range = TimeRangeMs::new(T0_MS, T0_MS + 60_000).unwrap();
    let got = select_series(&store, TENANT, &series_req("{}", range, 10.0)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].labels, vec![]);
    let want = [(T0_MS, 17.0), (T0_MS + 10_000, 2.0), (T0_MS + 20_000, 12.0), (T0_MS + 60_000, 32.0)];
    assert_eq!(got[0].points, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_leave_out_empty_steps() {
    let (store, data) = fixture_store().await;
    // The last profile is 600 µs after 110 s: the range must reach 110.001 s.
    let range = TimeRangeMs::new(T0_MS, T0_MS + 110_001).unwrap();
    let got = select_series(&store, TENANT, &series_req(r#"{service_name="web"}"#, range, 10.0)).await.unwrap();
    let times: Vec<i64> = got[0].points.iter().map(|p| (p.0 - T0_MS) / 1000).collect();
    assert_eq!(times, [0, 10, 20, 30, 90, 100, 110]);
    let web = |p: &Ingested| is_cpu(p) && p.label("service_name") == "web";
    assert_eq!(got[0].points, grouped_points(&data, web, &[], range, 10_000, false).into_values().next().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_group_by_returns_one_series_per_group_with_only_its_labels() {
    let (store, data) = fixture_store().await;
    let range = TimeRangeMs::new(T0_MS, T0_MS + 120_000).unwrap();
    let by = ["env".to_string(), "service_name".to_string()];
    let req =
        SeriesRequest { group_by: by.to_vec(), aggregation: Aggregation::Average, ..series_req("{}", range, 20.0) };
    let got = select_series(&store, TENANT, &req).await.unwrap();
    let want = grouped_points(&data, is_cpu, &["env", "service_name"], range, 20_000, true);
    assert_eq!(got.len(), 3);
    let got_map: BTreeMap<_, _> = got.into_iter().map(|s| (s.labels, s.points)).collect();
    assert_eq!(got_map, want);
    // The group labels come out sorted by name whatever the group_by order.
    let req = SeriesRequest { group_by: vec!["service_name".into(), "env".into()], ..req };
    let reversed: Vec<_> = select_series(&store, TENANT, &req).await.unwrap().into_iter().map(|s| s.labels).collect();
    assert_eq!(reversed, want.keys().cloned().collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_limit_keeps_the_top_series_by_total() {
    let (store, data) = fixture_store().await;
    let range = TimeRangeMs::new(T0_MS, T0_MS + 120_000).unwrap();
    let req = SeriesRequest { group_by: vec!["pod".into()], limit: Some(2), ..series_req("{}", range, 15.0) };
    let got = select_series(&store, TENANT, &req).await.unwrap();
    let mut want: Vec<(f64, Vec<(String, String)>)> = grouped_points(&data, is_cpu, &["pod"], range, 15_000, false)
        .into_iter()
        .map(|(l, pts)| (pts.iter().map(|p| p.1).sum(), l))
        .collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0));
    let got_labels: Vec<_> = got.iter().map(|s| s.labels.clone()).collect();
    assert_eq!(got_labels, vec![want[0].1.clone(), want[1].1.clone()]);
    assert!(want[0].0 > want[1].0 && want[1].0 > want[2].0, "{want:?}");
    // Limit 0 keeps every series, still ordered by total.
    let req = SeriesRequest { limit: Some(0), ..req };
    let all: Vec<_> = select_series(&store, TENANT, &req).await.unwrap().into_iter().map(|s| s.labels).collect();
    assert_eq!(all, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_names_and_values_or_their_matchers() {
    let (store, _) = fixture_store().await;
    let r = all_ms();
    let names = label_names(&store, TENANT, &[], r).await.unwrap();
    let want = ["__name__", "__profile_type__", "__type__", "env", "pod", "region", "service_name"];
    assert_eq!(names, want);
    let pods = label_values(&store, TENANT, "pod", &[], r).await.unwrap();
    assert_eq!(pods, ["a", "b", "c", "d"]);
    let m = vec![r#"{service_name="db"}"#.to_string(), r#"{region=~"eu-.*"}"#.to_string()];
    assert_eq!(label_values(&store, TENANT, "pod", &m, r).await.unwrap(), ["c", "d"]);
    let m = vec![format!(r#"{{__profile_type__="{ALLOC}"}}"#)];
    assert_eq!(label_values(&store, TENANT, "pod", &m, r).await.unwrap(), ["a"]);
    let m = vec![r#"{service_name="nope"}"#.to_string()];
    assert!(label_names(&store, TENANT, &m, r).await.unwrap().is_empty());
    // Outside the data's time span there is nothing.
    let before = TimeRangeMs::new(T0_MS - 10_000, T0_MS - 1).unwrap();
    assert!(label_values(&store, TENANT, "pod", &[], before).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_list_label_sets_reduced_to_the_requested_names() {
    let (store, data) = fixture_store().await;
    let r = all_ms();
    let full = series(&store, TENANT, &[], &[], r).await.unwrap();
    let mut want: Vec<_> = data.iter().map(|p| p.labels.clone()).collect();
    want.sort();
    want.dedup();
    assert_eq!(full, want);
    let m = vec![r#"{service_name="api"}"#.to_string()];
    let names = vec!["service_name".to_string(), "__profile_type__".to_string()];
    let reduced = series(&store, TENANT, &m, &names, r).await.unwrap();
    let pair = |t: &str| vec![("__profile_type__".to_string(), t.to_string()), ("service_name".into(), "api".into())];
    assert_eq!(reduced, vec![pair(ALLOC), pair(CPU)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_types_come_from_the_profile_type_label() {
    let (store, _) = fixture_store().await;
    let types = profile_types(&store, TENANT, all_ms()).await.unwrap();
    let ids: Vec<String> = types.iter().map(|t| t.id()).collect();
    assert_eq!(ids, [ALLOC, CPU]);
    assert_eq!(types[1].sample_unit, "nanoseconds");
    assert!(profile_types(&store, "other-tenant", all_ms()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_aligns_the_left_and_right_merged_trees() {
    let (store, data) = fixture_store().await;
    let left = merge_req(CPU, r#"{service_name="api"}"#, all_ms());
    let right = merge_req(CPU, r#"{service_name="db"}"#, all_ms());
    let got = diff(&store, TENANT, &left, &right).await.unwrap();
    let l = merged(&data, all_ms(), |p| is_cpu(p) && p.label("service_name") == "api");
    let r = merged(&data, all_ms(), |p| is_cpu(p) && p.label("service_name") == "db");
    assert_eq!((got.left_ticks, got.right_ticks), (l.total(), r.total()));
    assert_eq!(got, flame_graph_diff(&l, &r, 8192).unwrap());
    assert!(got.names.iter().any(|n| n == "api_handler") && got.names.iter().any(|n| n == "db_handler"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_stats_report_the_ingested_time_span() {
    let (store, data) = fixture_store().await;
    let stats = profile_stats(&store, TENANT).await.unwrap();
    let oldest = data.iter().map(|p| p.time_nanos).min().unwrap() / MS;
    let newest = data.iter().map(|p| p.time_nanos).max().unwrap() / MS;
    assert_eq!(stats, ProfileStats { data_ingested: true, oldest_profile_time: oldest, newest_profile_time: newest });
    let empty = profile_stats(&store, "nobody").await.unwrap();
    assert_eq!(
        empty,
        ProfileStats { data_ingested: false, oldest_profile_time: i64::MAX, newest_profile_time: i64::MIN }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_query_selects_what_the_connect_request_selects() {
    let (store, data) = fixture_store().await;
    let connect = select_merge_stacktraces(&store, TENANT, &merge_req(CPU, r#"{pod="a"}"#, all_ms())).await.unwrap();
    let legacy = Query::parse(&format!(r#"{CPU}{{pod="a"}}"#)).unwrap();
    let by_legacy = store.merge_tree(TENANT, &legacy.filter(), all_ms().to_store()).await.unwrap();
    assert_eq!(folded(&by_legacy), folded(&connect));
    // v0 FlameQL: `api.cpu` is service api's process_cpu of type cpu.
    let v0 = Query::parse(r#"api.cpu{pod="a"}"#).unwrap();
    let by_v0 = store.merge_tree(TENANT, &v0.filter(), all_ms().to_store()).await.unwrap();
    assert_eq!(folded(&by_v0), folded(&connect));
    let want = merged(&data, all_ms(), |p| is_cpu(p) && p.label("pod") == "a");
    assert_eq!(folded(&connect), folded(&want));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_invalid_arguments_with_a_message() {
    let (store, _) = fixture_store().await;
    let invalid = |e: QueryError| {
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{e}");
        e.message
    };
    let msg = invalid(TimeRangeMs::new(T0_MS, T0_MS - 1).unwrap_err());
    assert!(msg.contains("before start"), "{msg}");
    let msg = invalid(select_merge_stacktraces(&store, TENANT, &merge_req("cpu", "{}", all_ms())).await.unwrap_err());
    assert!(msg.contains("profile type"), "{msg}");
    let bad = merge_req(CPU, r#"{service_name="api""#, all_ms());
    let msg = invalid(select_merge_stacktraces(&store, TENANT, &bad).await.unwrap_err());
    assert!(msg.contains("at byte 19") && msg.contains("expected ',' or '}'"), "{msg}");
    for n in [-1, MAX_NODES_LIMIT + 1] {
        let req = MergeRequest { max_nodes: Some(n), ..merge_req(CPU, "{}", all_ms()) };
        invalid(select_merge_flame_graph(&store, TENANT, &req).await.unwrap_err());
        invalid(select_merge_stacktraces(&store, TENANT, &req).await.unwrap_err());
    }
    for step in [0.0, -1.0, 0.0001, f64::NAN] {
        let msg = invalid(select_series(&store, TENANT, &series_req("{}", all_ms(), step)).await.unwrap_err());
        assert!(msg.contains("step"), "{msg}");
    }
    let m = vec!["{}".to_string(), r#"{pod=~"("}"#.to_string()];
    let msg = invalid(label_names(&store, TENANT, &m, all_ms()).await.unwrap_err());
    assert!(msg.contains("regular expression"), "{msg}");
    invalid(label_values(&store, TENANT, "pod", &["pod".into(), "{".into()], all_ms()).await.unwrap_err());
    invalid(series(&store, TENANT, &["{a}".into()], &[], all_ms()).await.unwrap_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_blocks_answer_like_fresh_segments() {
    let (store, data) = compacted_fixture_store().await;
    // A range holding the block's whole hour bucket reads rollups; the
    // others read rows.
    let hour = TimeRangeMs::new(T0_MS, T0_MS + 3_600_000 - 1).unwrap();
    for range in [hour, all_ms(), TimeRangeMs::new(T0_MS + 15_000, T0_MS + 75_000).unwrap()] {
        let got = select_merge_stacktraces(&store, TENANT, &merge_req(CPU, r#"{env!="dev"}"#, range)).await.unwrap();
        let want = merged(&data, range, |p| is_cpu(p) && p.label("env") != "dev");
        assert_eq!(folded(&got), folded(&want), "{range:?}");
        let req = SeriesRequest { group_by: vec!["service_name".into()], ..series_req("{}", range, 20.0) };
        let got: BTreeMap<_, _> =
            select_series(&store, TENANT, &req).await.unwrap().into_iter().map(|s| (s.labels, s.points)).collect();
        assert_eq!(got, grouped_points(&data, is_cpu, &["service_name"], range, 20_000, false), "{range:?}");
    }
    assert_eq!(label_values(&store, TENANT, "pod", &[], all_ms()).await.unwrap(), ["a", "b", "c", "d"]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
    #[test]
    fn series_points_agree_with_the_reference_for_any_grid(
        offsets in proptest::collection::vec(0i64..60 * SEC, 1..20),
        start_offset_ms in -5_000i64..5_000,
        length_ms in 0i64..70_000,
        step_ms in 1i64..20_000,
        average in proptest::bool::ANY,
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let data: Vec<Ingested> = offsets
            .iter()
            .enumerate()
            .map(|(i, o)| Ingested {
                labels: labels("api", CPU, &[]),
                time_nanos: T0 + o,
                stacks: vec![("main".into(), 1 + i as i64)],
            })
            .collect();
        let range = TimeRangeMs::new(T0_MS + start_offset_ms, T0_MS + start_offset_ms + length_ms).unwrap();
        let aggregation = if average { Aggregation::Average } else { Aggregation::Sum };
        let step_seconds = step_ms as f64 / 1000.0;
        let req = SeriesRequest { aggregation, ..series_req("{}", range, step_seconds) };
        let got = rt.block_on(async {
            let store = open().await;
            ingest(&store, &data).await;
            select_series(&store, TENANT, &req).await.unwrap()
        });
        let all: Vec<&Ingested> = data.iter().collect();
        // Pyroscope's `int64(step * 1000)`.
        let want = points(&all, range, (step_seconds * 1000.0) as i64, average);
        let got_points = got.into_iter().next().map(|s| s.points).unwrap_or_default();
        proptest::prop_assert_eq!(got_points, want);
    }
}
