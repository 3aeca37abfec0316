//! `role` and the `[storage]` settings: how they layer from the file, the
//! environment and flags, and what each role serves: an ingester and a
//! querier started as two servers over one store, the querier seeing what
//! the ingester acknowledged, refusing writes with 503, the ingester
//! serving no queries.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{connect, http};
use kiln_api::pb::types::v1 as t;
use kiln_server::{Config, Role, Running};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn storage_keys_layer_from_the_file_table_the_environment_and_flags() {
    let file = "role = \"querier\"\n[storage]\nurl = \"s3://kiln/prod\"\nendpoint = \"http://a:3900\"\n\
                region = \"garage\"\npath_style = true\nrefresh_interval = \"2s\"\n";
    let env =
        map(&[("KILN_STORAGE_REGION", "eu-1"), ("KILN_STORAGE_ENDPOINT", "http://b:3900"), ("KILN_ROLE", "ingester")]);
    let flags = map(&[("storage_endpoint", "http://c:3900"), ("node_id", "n1")]);
    let c = Config::load(Some(file), &env, &flags).unwrap();
    assert_eq!(c.role, Role::Ingester, "the environment wins over the file");
    assert_eq!(c.node_id.as_deref(), Some("n1"));
    assert_eq!(c.storage.url.as_deref(), Some("s3://kiln/prod"));
    assert_eq!(c.storage.endpoint.as_deref(), Some("http://c:3900"), "flags win over the environment");
    assert_eq!(c.storage.region.as_deref(), Some("eu-1"));
    assert!(c.storage.path_style);
    assert_eq!(c.storage.refresh_interval, Duration::from_secs(2));
    assert!(Config::unknown_env(&env).is_empty(), "KILN_STORAGE_* are settings");
    let defaults = Config::load(None, &BTreeMap::new(), &BTreeMap::new()).unwrap();
    assert_eq!((defaults.role, defaults.storage.url), (Role::All, None));
}

#[test]
fn a_bad_role_or_an_unknown_storage_key_is_refused_by_name() {
    let e = Config::load(None, &BTreeMap::new(), &map(&[("role", "writer")])).unwrap_err().to_string();
    assert!(e.contains("\"writer\" is not a role") && e.contains("ingester"), "{e}");
    let e = Config::load(Some("[storage]\nurl = \"s3://b\"\nbukcet = \"x\"\n"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bukcet"), "{e}");
    let secret = Config::load(Some("[storage]\nsecret_access_key = \"hunter2\"\n"), &BTreeMap::new(), &BTreeMap::new());
    assert!(!format!("{:?}", secret.unwrap()).contains("hunter2"), "the secret stays out of Debug");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_storage_scheme_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let flags =
        map(&[("listen", "127.0.0.1:0"), ("data_dir", dir.path().to_str().unwrap()), ("storage_url", "ftp://x/y")]);
    let config = Config::load(None, &BTreeMap::new(), &flags).unwrap();
    let e = kiln_server::start(config, &BTreeMap::new(), false).await.err().expect("refused").to_string();
    assert!(e.contains("s3://"), "{e}");
}

async fn start(data_dir: &Path, role: &str) -> Running {
    let flags = map(&[
        ("listen", "127.0.0.1:0"),
        ("data_dir", data_dir.to_str().unwrap()),
        ("reject_older_than", "0"),
        ("role", role),
        ("node_id", role),
        ("storage_refresh_interval", "200ms"),
    ]);
    let config = Config::load(None, &BTreeMap::new(), &flags).unwrap();
    kiln_server::start(config, &BTreeMap::new(), false).await.unwrap()
}

fn label_names(addr: std::net::SocketAddr) -> Result<Vec<String>, String> {
    let req = t::LabelNamesRequest { matchers: Vec::new(), start: 0, end: i64::MAX / 1_000_000 };
    connect::<t::LabelNamesResponse>(addr, "shop", "LabelNames", &req).map(|r| r.names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingester_and_a_querier_split_the_work_over_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let ingester = start(dir.path(), "ingester").await;
    let querier = start(dir.path(), "querier").await;
    let (i, qr) = (ingester.addr, querier.addr);
    let answers = tokio::task::spawn_blocking(move || {
        let headers = [("Content-Type", "text/plain"), ("X-Scope-OrgID", "shop")];
        let path = "/ingest?name=checkout.cpu%7Bregion%3Deu%7D&from=1700000000";
        let stored = http(i, path, &headers, b"main;work 3\n").0;
        let refused = http(qr, path, &headers, b"main;work 3\n");
        let from_ingester = label_names(i);
        let started = Instant::now();
        let mut seen = label_names(qr);
        while !seen.as_ref().is_ok_and(|n| n.iter().any(|n| n == "region"))
            && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
            seen = label_names(qr);
        }
        (stored, refused, from_ingester, seen, started.elapsed())
    })
    .await
    .unwrap();
    let (stored, (refused, refusal), from_ingester, seen, waited) = answers;
    assert_eq!(stored, 200);
    assert_eq!(refused, 503, "{}", String::from_utf8_lossy(&refusal));
    assert!(String::from_utf8_lossy(&refusal).contains("querier"), "the refusal names the role");
    assert!(from_ingester.is_err(), "an ingester serves no queries: {from_ingester:?}");
    assert!(seen.unwrap().iter().any(|n| n == "region"), "the querier sees the ingester's data");
    assert!(waited < Duration::from_secs(5), "within a few refresh intervals: {waited:?}");
    ingester.shutdown().await.unwrap();
    querier.shutdown().await.unwrap();
}
