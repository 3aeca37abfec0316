//! End-to-end ingest: a load generator on loopback posts realistic gzipped
//! pprof (Go-like CPU profiles) to a real `kiln server` over HTTP/1.1 until
//! a bounded count is sent, each request answered only once durable. In
//! the same run, the bare work of the same payloads (gunzip + prost decode)
//! is timed as the baseline.
//!
//! `cargo bench -p kiln-server --bench ingest_http [-- PROFILES CONNECTIONS]`
//! (defaults: 4,000 profiles over 256 connections: a fleet of SDKs, each
//! waiting for its own acknowledgement).

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kiln_model::{gzip, pprof, ProfileBuilder};
use kiln_server::Config;
use prost::Message;

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

/// The stacks of one steady service: 2,000 stacks of depth 10–40 over a
/// pool of functions, sharing prefixes as real call paths do.
fn stack_pool(rng: &mut Rng) -> Vec<Vec<String>> {
    let roots: Vec<Vec<String>> = (0..40)
        .map(|r| (0..8).map(|d| format!("github.com/acme/svc/pkg{}.(*Server).handle{r}_{d}", r % 7)).collect())
        .collect();
    (0..2_000)
        .map(|_| {
            let mut s = roots[rng.below(40) as usize].clone();
            let extra = 2 + rng.below(30);
            s.extend(
                (0..extra).map(|_| format!("github.com/acme/svc/internal/pkg{}.work{}", rng.below(12), rng.below(60))),
            );
            s
        })
        .collect()
}

/// A Go-like CPU profile of ~1,000 samples drawn (skewed) from the pool,
/// with Go's two sample types, gzipped as the Go SDK sends it.
fn payload(pool: &[Vec<String>], rng: &mut Rng) -> Vec<u8> {
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 10_000_000);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64;
    b.set_time(now, 10_000_000_000);
    for _ in 0..1_000 {
        let i = (rng.below(pool.len() as u64) * rng.below(pool.len() as u64) / pool.len() as u64) as usize;
        let n = 1 + rng.below(5) as i64;
        b.add_stack(&pool[i], &[n, n * 10_000_000]);
    }
    pprof::encode_gzip(&b.build())
}

async fn post_all(addr: std::net::SocketAddr, bodies: Vec<Bytes>) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    for (i, body) in bodies.into_iter().enumerate() {
        let uri = format!("/ingest?name=bench{{pod=p{}}}&format=pprof&spyName=gospy&sampleRate=100", i % 50);
        let req = hyper::Request::post(uri).header("host", "kiln").body(Full::new(body)).unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.unwrap();
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (profiles, connections) = (args.first().copied().unwrap_or(4_000), args.get(1).copied().unwrap_or(256));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pool = stack_pool(&mut rng);
    let distinct: Vec<Bytes> = (0..64).map(|_| Bytes::from(payload(&pool, &mut rng))).collect();
    let bodies: Vec<Bytes> = (0..profiles).map(|i| distinct[i % distinct.len()].clone()).collect();
    let bytes: usize = bodies.iter().map(Bytes::len).sum();

    let start = Instant::now();
    for b in &bodies {
        let raw = gzip::gunzip("bench", b, 1 << 30).unwrap();
        std::hint::black_box(kiln_model::pb::google::v1::Profile::decode(raw.as_slice()).unwrap());
    }
    let bare = start.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let http = rt.block_on(async {
        let flags: BTreeMap<String, String> = [("listen", "127.0.0.1:0"), ("data_dir", dir.path().to_str().unwrap())]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let running =
            kiln_server::start(Config::load(None, &BTreeMap::new(), &flags).unwrap(), &BTreeMap::new(), false)
                .await
                .unwrap();
        let start = Instant::now();
        let chunks: Vec<Vec<Bytes>> =
            (0..connections).map(|c| bodies.iter().skip(c).step_by(connections).cloned().collect()).collect();
        let tasks: Vec<_> = chunks.into_iter().map(|chunk| tokio::spawn(post_all(running.addr, chunk))).collect();
        for t in tasks {
            t.await.unwrap();
        }
        let took = start.elapsed().as_secs_f64();
        running.shutdown().await.unwrap();
        took
    });
    let mb = bytes as f64 / 1e6;
    println!(
        "payloads: {profiles} gzipped pprof, {:.1} KB each, ~1000 samples, {connections} connections",
        bytes as f64 / profiles as f64 / 1e3
    );
    println!(
        "bare gunzip + prost decode: {:.0} profiles/s, {:.1} MB/s ({bare:.2} s)",
        profiles as f64 / bare,
        mb / bare
    );
    println!(
        "kiln server, HTTP -> durable: {:.0} profiles/s, {:.1} MB/s ({http:.2} s)",
        profiles as f64 / http,
        mb / http
    );
    println!("ratio server / bare: {:.2}", bare / http);
}
