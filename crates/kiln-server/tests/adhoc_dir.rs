//! `kiln server` serving what `kiln adhoc` saves: a real Go CPU profile
//! written as `<data_dir>/adhoc/<name>-<timestamp>.pb.gz`, listed, rendered
//! and uploaded to over HTTP on loopback (Connect JSON, as Profiles
//! Drilldown calls it, and v0's routes), every number checked against the
//! call tree kiln-model builds from the same file.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use kiln_model::flamebearer;
use kiln_model::flamegraph::tree_from_levels;
use kiln_model::{pprof, Tree};
use serde_json::{json, Value};

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const SAVED: &str = "myapp-2026-01-02-03-04-05.pb.gz";
const SAVED_AT_MS: u64 = 1_767_323_045_000;

/// One HTTP/1.1 request; the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block") + 4;
    let status = String::from_utf8_lossy(&resp[..split]).split(' ').nth(1).unwrap().parse().unwrap();
    (status, resp[split..].to_vec())
}

/// A Connect JSON call; the status and the JSON answer.
fn connect(addr: SocketAddr, method: &str, req: Value) -> (u16, Value) {
    let path = format!("/adhocprofiles.v1.AdHocProfileService/{method}");
    let (status, body) = http(addr, "POST", &path, req.to_string().as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body))))
}

/// The stacks and values a `single` flamebearer JSON was drawn from.
fn folded(json: &[u8]) -> std::collections::BTreeMap<String, i64> {
    let fb = flamebearer::from_json(json).unwrap();
    tree_from_levels(&fb.flamebearer.names, &fb.flamebearer.levels, 4).unwrap().folded_map()
}

fn go_cpu_tree() -> Tree {
    let p = pprof::decode(GO_CPU).unwrap();
    Tree::from_profile(&p, p.sample_type_index("cpu").unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_lists_renders_and_saves_profiles_in_the_adhoc_directory() {
    let data = tempfile::tempdir().unwrap();
    let adhoc = data.path().join("adhoc");
    std::fs::create_dir_all(&adhoc).unwrap();
    let file = std::fs::File::create(adhoc.join(SAVED)).unwrap();
    (&file).write_all(GO_CPU).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_millis(SAVED_AT_MS)).unwrap();
    std::fs::write(adhoc.join(".upload-1-0"), b"left by a crash").unwrap();
    let server = common::start_on_loopback(data.path()).await;
    let addr = server.addr;
    assert!(!adhoc.join(".upload-1-0").exists(), "an interrupted upload is removed at start");

    let listed = tokio::task::spawn_blocking(move || {
        let (status, list) = connect(addr, "List", json!({}));
        assert_eq!(status, 200, "{list}");
        assert_eq!(list, json!({"profiles": [{"id": SAVED, "name": "myapp", "uploadedAt": SAVED_AT_MS.to_string()}]}));

        let (status, got) = connect(addr, "Get", json!({"id": SAVED}));
        assert_eq!(status, 200, "{got}");
        assert_eq!((&got["profileType"], &got["profileTypes"]), (&json!("cpu"), &json!(["samples", "cpu"])));
        let fb = got["flamebearerProfile"].as_str().unwrap().as_bytes().to_vec();
        assert_eq!(folded(&fb), go_cpu_tree().folded_map(), "the flame graph holds every stack of the file");
        let (status, v0) = http(addr, "GET", &format!("/api/adhoc/v1/profile/{SAVED}"), b"");
        assert_eq!((status, folded(&v0)), (200, go_cpu_tree().folded_map()));

        let (status, missing) = connect(addr, "Get", json!({"id": "gone.pb.gz"}));
        assert_eq!((status, &missing["code"]), (404, &json!("not_found")));
        let (status, escape) = connect(addr, "Get", json!({"id": "../store"}));
        assert_eq!((status, &escape["code"]), (400, &json!("invalid_argument")));

        let profile = base64::engine::general_purpose::STANDARD.encode("main;work 7\nmain;idle 3\n");
        let (status, up) = connect(addr, "Upload", json!({"name": "notes", "profile": profile}));
        assert_eq!(status, 200, "{up}");
        let (_, diff) = connect(addr, "Diff", json!({"leftId": up["id"], "rightId": up["id"]}));
        let double = flamebearer::from_json(diff["flamebearerProfile"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!((double.left_ticks, double.right_ticks), (10, 10));
        up
    })
    .await
    .unwrap();
    let id = listed["id"].as_str().unwrap();
    assert!(id.starts_with("notes-") && id.ends_with(".folded"), "{id}");
    assert_eq!(std::fs::read(adhoc.join(id)).unwrap(), b"main;work 7\nmain;idle 3\n", "saved in the directory");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_data_directory_gets_an_empty_adhoc_directory() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_on_loopback(data.path()).await;
    let addr = server.addr;
    assert!(data.path().join("adhoc").is_dir());
    let (status, list) = tokio::task::spawn_blocking(move || connect(addr, "List", json!({}))).await.unwrap();
    assert_eq!((status, list), (200, json!({})));
    server.shutdown().await.unwrap();
}
