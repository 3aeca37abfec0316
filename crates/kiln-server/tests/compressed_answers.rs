//! Compressed answers from a real `kiln server` on loopback: a querier
//! JSON answer (the web UI's flame graph call) comes back gzipped when the
//! client sends `Accept-Encoding: gzip` and decodes to the very JSON a
//! client without it gets; the binary protobuf answer connect-go asks
//! for (also with `Accept-Encoding: gzip`) is never compressed.

mod common;

use std::io::Read;
use std::net::SocketAddr;

use common::exchange;

use flate2::read::GzDecoder;
use kiln_api::pb::querier::v1 as q;
use prost::Message;

const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

fn merge_request(start: i64, end: i64) -> q::SelectMergeStacktracesRequest {
    q::SelectMergeStacktracesRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"big\"}".into(),
        start,
        end,
        max_nodes: Some(16384),
        ..Default::default()
    }
}

fn json_answer(addr: SocketAddr, req: &str, accept: Option<&str>) -> (String, Vec<u8>) {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend(accept.map(|a| ("Accept-Encoding", a)));
    let (status, head, body) =
        exchange(addr, "/querier.v1.QuerierService/SelectMergeStacktraces", &headers, req.as_bytes());
    assert_eq!(status, 200, "{head}{}", String::from_utf8_lossy(&body));
    (head, body)
}

/// A folded profile of 600 distinct stacks: a flame graph answer of tens of KB.
fn folded() -> String {
    (0..600).map(|i| format!("main;module_{};handler_{i};parse_{i} {}\n", i % 20, 1 + i % 7)).collect()
}

fn checks(addr: SocketAddr) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let path = format!("/ingest?name=big.cpu&from={}&until={now}&sampleRate=100", now - 10);
    let (status, _, _) = exchange(addr, &path, &[("Content-Type", "text/plain")], folded().as_bytes());
    assert_eq!(status, 200);
    let (start, end) = ((now - 60) * 1000, (now + 60) * 1000);
    let req =
        r#"{"profile_typeID":"CPU","label_selector":"{service_name=\"big\"}","start":S,"end":E,"max_nodes":16384}"#
            .replace("CPU", CPU)
            .replace('S', &start.to_string())
            .replace('E', &end.to_string());

    let (plain_head, plain) = json_answer(addr, &req, None);
    assert!(!plain_head.contains("content-encoding"), "{plain_head}");
    assert!(plain_head.contains("vary: accept-encoding"), "{plain_head}");
    let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert!(json["flamegraph"]["names"].as_array().is_some_and(|n| n.len() > 1000), "a real flame graph: {json}");

    let (gz_head, packed) = json_answer(addr, &req, Some("gzip, deflate, br"));
    assert!(gz_head.contains("content-encoding: gzip"), "{gz_head}");
    let mut unpacked = Vec::new();
    GzDecoder::new(packed.as_slice()).read_to_end(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain, "the gzipped answer decodes to the same JSON");
    assert!(packed.len() * 4 < plain.len(), "{} bytes gzipped of {}", packed.len(), plain.len());

    let proto = merge_request(start, end).encode_to_vec();
    let headers = [("Content-Type", "application/proto"), ("Accept-Encoding", "gzip")];
    let (status, head, body) = exchange(addr, "/querier.v1.QuerierService/SelectMergeStacktraces", &headers, &proto);
    assert_eq!(status, 200);
    assert!(!head.contains("content-encoding"), "protobuf is never compressed: {head}");
    q::SelectMergeStacktracesResponse::decode(body.as_slice()).expect("plain protobuf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn querier_json_is_gzipped_only_when_asked_and_protobuf_never() {
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback(dir.path()).await;
    let addr = running.addr;
    tokio::task::spawn_blocking(move || checks(addr)).await.unwrap();
    running.shutdown().await.unwrap();
}
