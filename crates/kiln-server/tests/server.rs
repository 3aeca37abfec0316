//! `kiln server` for real: a listener on loopback, HTTP over TCP, data on
//! disk, read back by opening the store after a graceful shutdown.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use std::time::Duration;

use kiln_server::Config;
use kiln_store::{AllSeries, Store, StoreConfig, TimeRange};
use object_store::local::LocalFileSystem;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");

fn flags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn config_layers_defaults_file_env_and_flags_in_order() {
    let file = "listen = \"127.0.0.1:1111\"\nmax_body_bytes = 10\nretention_max_age = \"7d\"\n";
    let env = flags(&[("KILN_MAX_BODY_BYTES", "20"), ("HOME", "/home/u"), ("PATH", "/bin")]);
    let c = Config::load(Some(file), &env, &flags(&[("listen", "127.0.0.1:2222")])).unwrap();
    assert_eq!(c.listen, "127.0.0.1:2222");
    assert_eq!(c.max_body_bytes, 20);
    assert_eq!(c.retention_max_age, Some(Duration::from_secs(7 * 86_400)));
    assert_eq!(c.max_profile_size_bytes, 4 << 20, "defaults stay");
    assert_eq!(c.data_dir(&env), std::path::PathBuf::from("/home/u/.local/share/kiln"));
    assert_eq!(Config::default().listen, "0.0.0.0:4040");
}

#[test]
fn durations_are_parsed_once_from_the_file_the_environment_and_flags() {
    let file = "reject_older_than = \"1.5m\"\nretention_max_age = \"2w\"\n";
    let env = flags(&[("KILN_REJECT_NEWER_THAN", "500ms")]);
    let c = Config::load(Some(file), &env, &flags(&[("retention_max_age", "12h")])).unwrap();
    assert_eq!(c.reject_older_than, Duration::from_secs(90));
    assert_eq!(c.reject_newer_than, Duration::from_millis(500));
    assert_eq!(c.retention_max_age, Some(Duration::from_secs(12 * 3600)), "the flag wins over the file");
    let zero = Config::load(None, &flags(&[("KILN_REJECT_OLDER_THAN", "0")]), &BTreeMap::new()).unwrap();
    assert_eq!(zero.reject_older_than, Duration::ZERO);
}

#[test]
fn unknown_keys_in_the_file_or_flags_and_bad_values_are_errors() {
    let none = BTreeMap::new();
    let e = Config::load(Some("lisen = \"x\""), &none, &none).unwrap_err().to_string();
    assert!(e.contains("lisen"), "{e}");
    let e = Config::load(None, &none, &flags(&[("lisen", "x")])).unwrap_err().to_string();
    assert!(e.contains("lisen"), "{e}");
    let e = Config::load(None, &flags(&[("KILN_MAX_BODY_BYTES", "lots")]), &none).unwrap_err().to_string();
    assert!(e.contains("max_body_bytes") && e.contains("whole number"), "{e}");
    let e = Config::load(Some("reject_older_than = \"3 days\""), &none, &none).unwrap_err().to_string();
    assert!(e.contains("reject_older_than: unknown unit \" days\" in \"3 days\""), "{e}");
    let e = Config::load(Some("max_body_bytes = \"10\""), &none, &none).unwrap_err().to_string();
    assert!(e.contains("max_body_bytes"), "a file's values keep their TOML type: {e}");
}

#[test]
fn unknown_kiln_environment_variables_are_warnings_not_errors() {
    // What Kubernetes injects for a service named `kiln`, and a typo.
    let env = flags(&[
        ("KILN_SERVICE_HOST", "10.0.0.1"),
        ("KILN_PORT", "tcp://10.0.0.1:4040"),
        ("KILN_PORT_4040_TCP_ADDR", "10.0.0.1"),
        ("KILN_RETENTON_MAX_AGE", "30d"),
    ]);
    let c = Config::load(None, &env, &BTreeMap::new()).expect("unknown KILN_* variables do not stop the server");
    assert_eq!(c, Config::default(), "and they set nothing");
    let warnings = Config::unknown_env(&env);
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    let typo = warnings.iter().find(|w| w.contains("KILN_RETENTON_MAX_AGE")).unwrap();
    assert!(typo.contains("did you mean KILN_RETENTION_MAX_AGE?"), "{typo}");
    let port = warnings.iter().find(|w| w.contains("KILN_PORT_4040_TCP_ADDR")).unwrap();
    assert!(!port.contains("did you mean"), "no key is near: {port}");
}

#[test]
fn the_keys_are_the_config_fields() {
    let keys = Config::keys();
    assert_eq!(keys.len(), 27, "{keys:?}");
    assert_eq!((keys[0], keys[11], keys[18]), ("listen", "reject_newer_than", "max_query_nodes"));
}

/// One HTTP/1.1 request; returns the status code and body.
fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: kiln\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// The form the Go SDK posts: multipart with a `profile` field.
fn go_sdk_form() -> (String, Vec<u8>) {
    let b = "goSDKboundary";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    body.extend_from_slice(GO_CPU);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_ingests_over_http_survives_bad_input_and_keeps_data_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cfg =
        flags(&[("listen", "127.0.0.1:0"), ("data_dir", dir.path().to_str().unwrap()), ("reject_older_than", "0")]);
    let config = Config::load(None, &BTreeMap::new(), &cfg).unwrap();
    let running = kiln_server::start(config, &BTreeMap::new(), false).await.unwrap();
    let addr = running.addr;
    let (ct, form) = go_sdk_form();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let path = format!(
        "/ingest?name=checkout{{env=prod}}&from={now}&until={}&spyName=gospy&sampleRate=100",
        now + 10_000_000_000
    );
    let results = tokio::task::spawn_blocking(move || {
        let ok = http(addr, "POST", &path, &[("Content-Type", &ct), ("X-Scope-OrgID", "shop")], &form);
        let bad =
            http(addr, "POST", "/ingest?name=checkout.cpu", &[("Content-Type", "text/plain")], b"main;x notanumber\n");
        let ready = http(addr, "GET", "/ready", &[], b"");
        let metrics = http(addr, "GET", "/metrics", &[], b"");
        (ok, bad, ready, metrics)
    })
    .await
    .unwrap();
    let (ok, bad, ready, metrics) = results;
    assert_eq!(ok.0, 200, "{}", ok.1);
    assert_eq!(bad.0, 400);
    assert!(bad.1.contains("folded at line 1"), "{}", bad.1);
    assert_eq!(ready.0, 200);
    assert!(metrics.1.contains("kiln_ingested_profiles_total{tenant=\"shop\",format=\"pprof\"} 1"), "{}", metrics.1);
    let data_dir = running.data_dir.clone();
    running.shutdown().await.unwrap();

    let fs = LocalFileSystem::new_with_prefix(data_dir.join("store")).unwrap();
    let store =
        Store::open(Arc::new(fs), StoreConfig { maintenance_interval: None, ..StoreConfig::default() }).await.unwrap();
    let all = TimeRange { start: i64::MIN, end: i64::MAX };
    let types = store.label_values("shop", "__profile_type__", &AllSeries, all);
    assert_eq!(types, ["process_cpu:cpu:nanoseconds:cpu:nanoseconds", "process_cpu:samples:count:cpu:nanoseconds"]);
    let tree =
        store.merge_tree("shop", &kiln_store::LabelsEqual(vec![("__type__".into(), "cpu".into())]), all).await.unwrap();
    let hottest = tree.folded_map().into_iter().max_by_key(|(_, v)| *v).unwrap();
    assert!(hottest.0.contains("main.burn"), "{hottest:?}");
    assert!(store.tenants() == ["shop"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_uploads_left_by_a_crash_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = dir.path().join("store/blocks/anonymous");
    std::fs::create_dir_all(&blocks).unwrap();
    let staging = blocks.join("0001.kiln#3");
    std::fs::write(&staging, b"half a block").unwrap();
    let keep = blocks.join("notes#1");
    std::fs::write(&keep, b"not ours").unwrap();
    let cfg = flags(&[("listen", "127.0.0.1:0"), ("data_dir", dir.path().to_str().unwrap())]);
    let running =
        kiln_server::start(Config::load(None, &BTreeMap::new(), &cfg).unwrap(), &BTreeMap::new(), false).await.unwrap();
    assert!(!staging.exists(), "the staging file is gone");
    assert!(keep.exists(), "files that are not staged blocks stay");
    running.shutdown().await.unwrap();
}
