//! `for_each_row_under`: a profile's total under a call site follows the
//! frames of inlined functions one by one, root first, so a call site may
//! end inside a location.

mod common;

use common::{ingest_one, labels, memory, open, TestClock, T0};
use kiln_model::{Line, ProfileBuilder};
use kiln_store::{AllSeries, TimeRange};

/// `main` calls `handler`, which inlines `helper` (one location, two
/// lines), which calls `parse`: 7 there, 3 in `helper` itself; `main;idle` 5.
fn inlined_profile() -> kiln_model::Profile {
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    let (main, parse, idle) = (b.frame("main"), b.frame("parse"), b.frame("idle"));
    let (handler, helper) = (b.function("handler", "h.go"), b.function("helper", "h.go"));
    let inlined = b.function_location(handler, 10);
    b.add_sample(vec![parse, inlined, main], &[7], Vec::new());
    b.add_sample(vec![inlined, main], &[3], Vec::new());
    b.add_sample(vec![idle, main], &[5], Vec::new());
    let mut p = b.build();
    // Innermost first: `helper` is inlined into `handler`.
    p.locations[inlined as usize].lines.insert(0, Line { function: helper, line: 12, column: 0 });
    p
}

#[tokio::test]
async fn a_call_site_follows_inlined_frames_one_by_one() {
    let (backend, clock) = (memory(), TestClock::new(T0));
    let store = open(&backend, &clock).await;
    store.ingest("t", vec![ingest_one(1, T0, labels("svc", &[]), inlined_profile())]).await.unwrap();
    let range = TimeRange { start: T0, end: T0 };
    let cases: [(&str, Option<i64>); 6] = [
        ("main", Some(15)),
        ("main;handler", Some(10)),
        ("main;handler;helper", Some(10)),
        ("main;handler;helper;parse", Some(7)),
        ("main;helper", None),
        ("main;handler;parse", None),
    ];
    for (site, expected) in cases {
        let site: Vec<String> = site.split(';').map(String::from).collect();
        let mut totals = Vec::new();
        store.for_each_row_under("t", &AllSeries, range, &[], &site, |r| totals.push((r.id, r.total))).await.unwrap();
        assert_eq!(totals, expected.map(|t| (1, t)).into_iter().collect::<Vec<_>>(), "{site:?}");
    }
}
