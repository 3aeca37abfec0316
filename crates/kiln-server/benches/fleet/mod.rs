//! The realistic fleet both server benches drive: 20 services × 5 pods
//! posting 800-stack gzipped pprof over loopback, and the merged
//! flame-graph queries asked of it while `/ready` is polled.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kiln_model::{pprof, ProfileBuilder};

pub const SERVICES: usize = 20;
pub const PODS: usize = 5;
pub const STACKS_PER_PROFILE: usize = 800;
const PROFILE_TYPE: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One service's 1,200 stacks of depth 10–40, sharing prefixes as real
/// call paths do, over functions named after the service.
fn stack_pool(service: usize, rng: &mut Rng) -> Vec<Vec<String>> {
    let roots: Vec<Vec<String>> = (0..30)
        .map(|r| (0..8).map(|d| format!("github.com/acme/svc{service}/api.(*Server).handle{r}_{d}")).collect())
        .collect();
    (0..1_200)
        .map(|_| {
            let mut s = roots[rng.below(30) as usize].clone();
            let extra = 2 + rng.below(30);
            s.extend(
                (0..extra).map(|_| {
                    format!("github.com/acme/svc{service}/internal/pkg{}.work{}", rng.below(12), rng.below(60))
                }),
            );
            s
        })
        .collect()
}

/// A Go-like CPU profile of 800 distinct stacks drawn from the pool, with
/// `time_nanos` 0 so the request's `from` stamps it.
fn payload(pool: &[Vec<String>], rng: &mut Rng) -> Bytes {
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    let start = rng.below(pool.len() as u64) as usize;
    for k in 0..STACKS_PER_PROFILE {
        let n = 1 + rng.below(20) as i64;
        b.add_stack(&pool[(start + k * 7) % pool.len()], &[n, n * 10_000_000]);
    }
    Bytes::from(pprof::encode_gzip(&b.build()))
}

/// Eight payloads per service, always the same ones, and their mean
/// gzipped size in KB.
pub fn fleet_bodies() -> (Vec<Arc<Vec<Bytes>>>, f64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let bodies: Vec<Arc<Vec<Bytes>>> = (0..SERVICES)
        .map(|s| {
            let pool = stack_pool(s, &mut rng);
            Arc::new((0..8).map(|_| payload(&pool, &mut rng)).collect())
        })
        .collect();
    let kb = bodies.iter().flat_map(|b| b.iter()).map(Bytes::len).sum::<usize>() as f64 / (SERVICES * 8) as f64 / 1e3;
    (bodies, kb)
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

async fn send(sender: &mut Sender, req: hyper::Request<Full<Bytes>>) -> (u16, Bytes) {
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.into_body().collect().await.unwrap().to_bytes())
}

/// What the pods did: profiles accepted, each request's latency, and the
/// requests that failed by status (or `connection` when none came back).
#[derive(Default)]
pub struct Stats {
    pub profiles: AtomicU64,
    pub stop: AtomicBool,
    pub latencies: Mutex<Vec<Duration>>,
    pub errors: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    fn record(&self, took: Duration, outcome: Result<u16, String>) {
        self.latencies.lock().unwrap().push(took);
        match outcome {
            Ok(200) => {
                self.profiles.fetch_add(1, Ordering::Relaxed);
            }
            Ok(status) => *self.errors.lock().unwrap().entry(status.to_string()).or_default() += 1,
            Err(_) => *self.errors.lock().unwrap().entry("connection".into()).or_default() += 1,
        }
    }
}

/// One ingest request on `sender`: its status, or why none came back.
async fn ingest(sender: &mut Sender, uri: String, body: Bytes) -> Result<u16, String> {
    let req = hyper::Request::post(uri).header("host", "kiln").body(Full::new(body)).unwrap();
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    resp.into_body().collect().await.map_err(|e| e.to_string())?;
    Ok(status)
}

/// One pod: posts its service's payloads at `interval` until `stop`,
/// reconnecting when the server closed its connection.
async fn pod(
    addr: SocketAddr,
    service: usize,
    pod: usize,
    bodies: Arc<Vec<Bytes>>,
    interval: Duration,
    stats: Arc<Stats>,
) {
    let mut sender = connect(addr).await;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut i = pod;
    while !stats.stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let uri = format!(
            "/ingest?name=svc{service}.cpu{{pod=svc{service}-{pod},region=eu-west-1}}&format=pprof&spyName=gospy&sampleRate=100&from={}",
            now_secs()
        );
        let body = bodies[i % bodies.len()].clone();
        i += PODS;
        let t = Instant::now();
        let outcome = ingest(&mut sender, uri, body).await;
        stats.record(t.elapsed(), outcome.clone());
        if outcome.is_err() || sender.is_closed() {
            sender = connect(addr).await;
        }
    }
}

/// Starts every pod of the fleet so that together they post `rate`
/// profiles per second.
pub fn start_fleet(
    addr: SocketAddr,
    bodies: &[Arc<Vec<Bytes>>],
    rate: u64,
    stats: &Arc<Stats>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let interval = Duration::from_secs_f64((SERVICES * PODS) as f64 / rate as f64);
    (0..SERVICES * PODS)
        .map(|i| {
            let (s, p) = (i / PODS, i % PODS);
            tokio::spawn(pod(addr, s, p, bodies[s].clone(), interval, stats.clone()))
        })
        .collect()
}

/// The merged flame graph of `selector` over `[start, end]` ms; its time
/// and the total it reports.
pub async fn query(addr: SocketAddr, selector: &str, start: u64, end: u64) -> (Duration, i64) {
    let mut sender = connect(addr).await;
    let body = serde_json::json!({
        "profileTypeID": PROFILE_TYPE, "labelSelector": selector,
        "start": start.to_string(), "end": end.to_string(), "maxNodes": "8192",
    });
    let req = hyper::Request::post("/querier.v1.QuerierService/SelectMergeStacktraces")
        .header("host", "kiln")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let t = Instant::now();
    let (status, body) = send(&mut sender, req).await;
    let took = t.elapsed();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let total = v["flamegraph"]["total"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    (took, total)
}

/// `/ready` latencies polled every 5 ms while `busy` runs, from a thread
/// of its own with its own runtime, so that the client's other work (the
/// fleet's uploads, the queries' answers) does not add to what it measures.
async fn ready_latencies<F: std::future::Future>(addr: SocketAddr, busy: F) -> (F::Output, Vec<Duration>) {
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let done = done.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let mut sender = connect(addr).await;
                let mut out = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let req = hyper::Request::get("/ready").header("host", "kiln").body(Full::default()).unwrap();
                    let t = Instant::now();
                    send(&mut sender, req).await;
                    out.push(t.elapsed());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                out
            })
        })
    };
    let out = busy.await;
    done.store(true, Ordering::Relaxed);
    (out, poller.join().unwrap())
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Four merged flame graphs of `{}` over `range` at once, `rounds` times
/// in a row, while `/ready` is polled; prints the median of the rounds'
/// slowest query and the `/ready` percentiles over every round.
pub async fn four_at_once(addr: SocketAddr, range: (u64, u64), rounds: usize) {
    let (slowest, ready) = ready_latencies(addr, async {
        let mut slowest = Vec::new();
        for _ in 0..rounds {
            let qs: Vec<_> = (0..4).map(|_| tokio::spawn(query(addr, "{}", range.0, range.1))).collect();
            let mut worst = Duration::ZERO;
            for q in qs {
                worst = worst.max(q.await.unwrap().0);
            }
            slowest.push(worst);
        }
        slowest
    })
    .await;
    let all: Vec<String> = slowest.iter().map(|&d| format!("{:.0}", ms(d))).collect();
    println!(
        "four `{{}}` queries at once, ingest running, {rounds} rounds: slowest median {:.0} ms (rounds {} ms); /ready p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} polls",
        ms(percentile(slowest.clone(), 0.5)),
        all.join(", "),
        ms(percentile(ready.clone(), 0.5)),
        ms(percentile(ready.clone(), 0.99)),
        ms(percentile(ready.clone(), 1.0)),
        ready.len()
    );
}

pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
