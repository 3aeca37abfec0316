//! A store with known profiles for the querier's newer fields, and the
//! querier router over it, called with Connect JSON as Grafana's tools do.
//!
//! `shop` (CPU, pods `a` and `b`), four profiles at known times, with
//! `span_id` and `trace_id` sample labels; `checkout`, the real Go CPU
//! fixture (`kiln-model/tests/fixtures/go/cpu.pb.gz`).

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::{router, ApiState, IngestSink, Ingested, SinkError, SinkErrorKind};
use kiln_model::{Label, Profile, ProfileBuilder};
use kiln_server::{QueryLimits, StoreQuery};
use kiln_store::{IngestProfile, IngestSeries, Labels, Store, StoreConfig};
use object_store::memory::InMemory;
use tower::ServiceExt;

pub const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
/// 2026-01-01T00:00:00Z in ms.
pub const T0: i64 = 1_767_225_600_000;
pub const GO_CPU: &[u8] = include_bytes!("../../../kiln-model/tests/fixtures/go/cpu.pb.gz");
/// When the Go fixture is stored, in ms.
pub const GO_AT: i64 = T0 + 7_000;
pub const T1: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub const T2: &str = "00000000000000000000000000000002";
pub const T3: &str = "00000000000000000000000000000003";

/// `(root-first stack, value, span id, trace id)`.
pub type Sample = (&'static str, i64, &'static str, &'static str);

/// One `shop` profile: its id, pod, time (ms) and samples.
pub struct Shop {
    pub id: u128,
    pub pod: &'static str,
    pub at: i64,
    pub samples: &'static [Sample],
}

impl Shop {
    pub fn total(&self) -> i64 {
        self.samples.iter().map(|s| s.1).sum()
    }

    pub fn uuid(&self) -> String {
        uuid::Uuid::from_u128(self.id).to_string()
    }
}

pub const SHOP: [Shop; 4] = [
    Shop {
        id: 0x1111_0000_0000_4000_8000_0000_0000_0001,
        pod: "a",
        at: T0 + 1_000,
        samples: &[
            ("main;work;parse", 30, "00000000000000a1", T1),
            ("main;work;render", 20, "00000000000000a1", T1),
            ("main;idle", 50, "", ""),
        ],
    },
    Shop {
        id: 0x2222_0000_0000_4000_8000_0000_0000_0002,
        pod: "b",
        at: T0 + 4_000,
        samples: &[("main;work;parse", 70, "00000000000000b2", T2), ("main;idle", 10, "", "")],
    },
    Shop {
        id: 0x3333_0000_0000_4000_8000_0000_0000_0003,
        pod: "a",
        at: T0 + 16_000,
        samples: &[("main;work;render", 40, "00000000000000a1", T1), ("main;idle", 5, "", "")],
    },
    Shop {
        id: 0x4444_0000_0000_4000_8000_0000_0000_0004,
        pod: "b",
        at: T0 + 29_000,
        samples: &[("main;work;parse", 200, "00000000000000c3", T3)],
    },
];

pub fn labels(service: &str, pod: &str) -> Labels {
    kiln_store::normalize_labels(vec![
        ("__name__".into(), "process_cpu".into()),
        ("__profile_type__".into(), CPU.into()),
        ("pod".into(), pod.into()),
        ("service_name".into(), service.into()),
    ])
}

fn shop_profile(s: &Shop) -> Profile {
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    for (stack, value, span, trace) in s.samples {
        let locations = stack.split(';').rev().map(|n| b.frame(n)).collect();
        let mut sample_labels = Vec::new();
        for (key, v) in [("span_id", span), ("trace_id", trace)].into_iter().filter(|(_, v)| !v.is_empty()) {
            sample_labels.push(Label { key: b.intern(key), str: b.intern(v), num: 0, num_unit: 0 });
        }
        b.add_sample(locations, &[*value], sample_labels);
    }
    b.set_time(s.at * 1_000_000, 10_000_000_000);
    b.build()
}

/// The Go fixture, decoded.
pub fn go_profile() -> Profile {
    kiln_model::pprof::decode(GO_CPU).unwrap()
}

fn ingest_profile(id: u128, at: i64, labels: Labels, profile: Profile, sample_type: usize) -> IngestProfile {
    IngestProfile {
        id,
        time_nanos: at * 1_000_000,
        duration_nanos: 10_000_000_000,
        profile: Arc::new(profile),
        series: vec![IngestSeries { labels, sample_type }],
    }
}

/// A memory store holding [`SHOP`] and the Go fixture.
pub async fn store() -> Store {
    let config = StoreConfig { maintenance_interval: None, ..StoreConfig::default() };
    let store = Store::open(Arc::new(InMemory::new()), config).await.unwrap();
    let mut batch: Vec<IngestProfile> =
        SHOP.iter().map(|s| ingest_profile(s.id, s.at, labels("shop", s.pod), shop_profile(s), 0)).collect();
    let go = go_profile();
    let cpu = go.sample_types.iter().position(|t| go.str(t.ty) == "cpu").unwrap();
    batch.push(ingest_profile(0x5555, GO_AT, labels("checkout", "c"), go, cpu));
    store.ingest("acme", batch).await.unwrap();
    store
}

struct NoIngest;

impl IngestSink for NoIngest {
    fn ingest<'a>(&'a self, _: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async { Err(SinkError::new(SinkErrorKind::Unavailable, "read-only")) })
    }
}

pub fn app(store: Store) -> axum::Router {
    let mut state = ApiState::new(Arc::new(NoIngest));
    state.query = Some(Arc::new(StoreQuery(store, QueryLimits::default())));
    router(state)
}

/// A Connect JSON call: the status and the JSON answer.
pub async fn call(app: &axum::Router, method: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let req = Request::post(format!("/querier.v1.QuerierService/{method}"))
        .header("content-type", "application/json")
        .header("x-scope-orgid", "acme")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))))
}

/// Compares with `tests/golden/querier/<name>.json`; `KILN_BLESS=1`
/// rewrites the file.
pub fn golden(name: &str, actual: &serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/querier/{name}.json"));
    kiln_golden::check(path, format!("{}\n", serde_json::to_string_pretty(actual).unwrap()));
}

/// A Connect binary proto call: the answer, or the status and error body.
pub async fn call_proto<Resp: prost::Message + Default>(
    app: &axum::Router,
    method: &str,
    req: &impl prost::Message,
) -> Result<Resp, String> {
    let req = Request::post(format!("/querier.v1.QuerierService/{method}"))
        .header("content-type", "application/proto")
        .header("x-scope-orgid", "acme")
        .body(Body::from(req.encode_to_vec()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    if status != 200 {
        return Err(format!("{status} {}", String::from_utf8_lossy(&bytes)));
    }
    Ok(Resp::decode(bytes).unwrap())
}

/// The folded stacks of a flame graph.
pub fn folded(fg: &kiln_model::pb::querier::v1::FlameGraph) -> std::collections::BTreeMap<String, i64> {
    kiln_model::flamegraph::tree_from_flame_graph(fg).unwrap().folded_map()
}
