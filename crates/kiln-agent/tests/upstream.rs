//! The push and pull upstreams of `kiln adhoc` over real loopback sockets,
//! without the binary: a pprof endpoint scraped through kiln's HTTP
//! client, and real pushes to the collector's ingest endpoint.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kiln_agent::http::Url;
use kiln_agent::upstream::{PprofEndpoint, PushCollector, PushEndpoint};
use kiln_model::Profile;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const GO_HEAP: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/heap.pb.gz");

/// Serves `app` on a random loopback port; returns its address.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The sum of each sample type's values, by sample type name.
fn totals(p: &Profile) -> BTreeMap<String, i64> {
    let names = p.sample_types.iter().map(|vt| p.str(vt.ty).to_owned());
    names.enumerate().map(|(i, name)| (name, p.samples.iter().map(|s| s.values[i]).sum())).collect()
}

#[tokio::test]
async fn the_scraper_asks_for_its_window_and_decodes_the_pprof_served() {
    let queries = Arc::new(Mutex::new(Vec::new()));
    let seen = queries.clone();
    let app = Router::new().route(
        "/debug/pprof/profile",
        get(move |RawQuery(q): RawQuery| async move {
            seen.lock().unwrap().push(q.unwrap_or_default());
            GO_CPU
        }),
    );
    let base = serve(app).await;
    let endpoint = PprofEndpoint::parse(&format!("{base}/debug/pprof/profile"), 1).unwrap();
    let profile = endpoint.fetch().await.expect("scraped");
    assert_eq!(totals(&profile), totals(&kiln_model::pprof::decode(GO_CPU).unwrap()));
    assert_eq!(*queries.lock().unwrap(), ["seconds=1"]);
}

#[tokio::test]
async fn a_failing_or_absent_endpoint_is_an_error_naming_the_cause() {
    let app =
        Router::new().route("/debug/pprof/profile", get(|| async { (StatusCode::NOT_FOUND, "no profiling here") }));
    let base = serve(app).await;
    let e = PprofEndpoint::parse(&format!("{base}/debug/pprof/profile"), 1).unwrap().fetch().await.unwrap_err();
    assert!(e.to_string().contains("answered HTTP 404: no profiling here"), "{e}");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let e = PprofEndpoint::parse(&format!("http://{closed}/p"), 1).unwrap().fetch().await.unwrap_err();
    assert!(e.to_string().contains(&format!("connecting to {closed}")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_heap_snapshots_are_averaged_and_cpu_profiles_summed() {
    let collector = Arc::new(PushCollector::new());
    let endpoint = PushEndpoint::start(collector.clone()).await.unwrap();
    let url = Url::parse(&endpoint.url()).unwrap();
    for _ in 0..2 {
        for body in [GO_HEAP, GO_CPU] {
            let answer = url.post("/ingest?name=shop&format=pprof", &[], body.to_vec()).await.unwrap();
            assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        }
    }
    assert_eq!(collector.received(), 4);
    endpoint.stop().await;
    let collected = collector.take();
    let apps_and_kinds: Vec<(&str, &str, usize)> =
        collected.iter().map(|c| (c.app.as_str(), c.kind.as_str(), c.profiles)).collect();
    assert_eq!(apps_and_kinds, [("shop", "memory", 2), ("shop", "process_cpu", 2)]);
    let heap = totals(&kiln_model::pprof::decode(GO_HEAP).unwrap());
    let pushed_heap = totals(&collected[0].profile);
    assert_eq!(pushed_heap["inuse_space"], heap["inuse_space"], "two equal snapshots average to one");
    assert_eq!(pushed_heap["inuse_objects"], heap["inuse_objects"]);
    assert_eq!(pushed_heap["alloc_space"], 2 * heap["alloc_space"], "allocations add up");
    let cpu = totals(&kiln_model::pprof::decode(GO_CPU).unwrap());
    assert_eq!(totals(&collected[1].profile)["cpu"], 2 * cpu["cpu"]);
}

#[tokio::test]
async fn a_closed_collector_acknowledges_and_drops() {
    let collector = Arc::new(PushCollector::new());
    let endpoint = PushEndpoint::start(collector.clone()).await.unwrap();
    collector.close();
    let url = Url::parse(&endpoint.url()).unwrap();
    let answer = url.post("/ingest?name=shop&format=pprof", &[], GO_CPU.to_vec()).await.unwrap();
    assert_eq!(answer.status, 200);
    endpoint.stop().await;
    assert!(collector.take().is_empty());
}
