//! `select_series_exemplars` agrees with `select_series` point for point
//! (fresh segments and compacted blocks with rollups alike), each point's
//! exemplar is its largest profile; the heatmap's one-value edge case.

mod common;

use common::{compacted_fixture_store, fixture_store, points, Ingested, CPU, MS, T0_MS, TENANT};
use kiln_query::{
    select_heatmap, select_series, select_series_exemplars, Aggregation, ExemplarKind, HeatmapQueryType,
    HeatmapRequest, SeriesRequest, TimeRangeMs,
};

fn request(selector: &str, range: TimeRangeMs, step: f64, aggregation: Aggregation, by: &[&str]) -> SeriesRequest {
    SeriesRequest {
        profile_type_id: CPU.into(),
        label_selector: selector.into(),
        range,
        step_seconds: step,
        group_by: by.iter().map(|s| s.to_string()).collect(),
        aggregation,
        limit: None,
    }
}

/// The largest total among the profiles of the point at `t`.
fn largest(data: &[Ingested], r: TimeRangeMs, step_ms: i64, t: i64, keep: impl Fn(&Ingested) -> bool) -> i64 {
    let point_of = |p: &Ingested| points(&[p], r, step_ms, false).first().map(|x| x.0);
    data.iter().filter(|p| keep(p) && point_of(p) == Some(t)).map(Ingested::total).max().unwrap()
}

#[tokio::test]
async fn exemplar_series_have_the_points_of_select_series_and_each_points_largest_profile() {
    for (store, data) in [fixture_store().await, compacted_fixture_store().await] {
        let ranges = [
            TimeRangeMs::new(T0_MS, T0_MS + 120_000).unwrap(),
            TimeRangeMs::new(T0_MS + 10_000, T0_MS + 75_000).unwrap(),
        ];
        for range in ranges {
            for step in [10.0, 15.0, 60.0] {
                for aggregation in [Aggregation::Sum, Aggregation::Average] {
                    let req = request("{service_name=\"api\"}", range, step, aggregation, &["pod"]);
                    let plain = select_series(&store, TENANT, &req).await.unwrap();
                    let with =
                        select_series_exemplars(&store, TENANT, &req, ExemplarKind::Individual, None).await.unwrap();
                    assert_eq!(plain.len(), with.len());
                    for (p, w) in plain.iter().zip(&with) {
                        assert_eq!(p.labels, w.labels);
                        let got: Vec<(i64, f64)> = w.points.iter().map(|x| (x.timestamp, x.value)).collect();
                        assert_eq!(got, p.points, "{range:?} step {step} {aggregation:?}");
                        let pod = &w.labels[0].1;
                        let of_pod = |i: &Ingested| {
                            i.label("__profile_type__") == CPU
                                && i.label("service_name") == "api"
                                && i.label("pod") == pod
                        };
                        for x in &w.points {
                            let step_ms = (step * 1000.0) as i64;
                            assert_eq!(x.exemplars.len(), 1);
                            assert_eq!(x.exemplars[0].value, largest(&data, range, step_ms, x.timestamp, of_pod));
                            assert!(x.exemplars[0].profile_id.is_some());
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_heatmap_of_one_value_puts_it_in_the_last_bucket_as_pyroscope_does() {
    let (store, data) = fixture_store().await;
    // One profile: db's at T0 (read from one step before the start).
    let req = HeatmapRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"db\"}".into(),
        range: TimeRangeMs::new(T0_MS, T0_MS + 1).unwrap(),
        step_seconds: 1.0,
        group_by: Vec::new(),
        query_type: HeatmapQueryType::Individual,
        exemplars: ExemplarKind::None,
        limit: None,
    };
    let h = select_heatmap(&store, TENANT, &req).await.unwrap();
    let first = data.iter().find(|p| p.label("service_name") == "db" && p.time_nanos / MS == T0_MS).unwrap();
    // One value v: the buckets span [v, v + 1), each 0.05 wide, so every
    // bound but the last's upper one truncates to v: the first 19 buckets
    // are the empty [v, v), and v lands in the last, [v, v + 1).
    let v = first.total() as f64;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].slots.len(), 1);
    assert_eq!(h[0].slots[0].y_min, vec![v; 20]);
    assert_eq!(h[0].slots[0].counts[19], 1);
    assert_eq!(h[0].slots[0].counts.iter().sum::<i32>(), 1);
}
