//! Issue #15: the adhoc directory is per tenant and bounded. Uploads over
//! loopback to a real server: each tenant lists only its own, the oldest
//! go when a tenant's files pass `adhoc_max_bytes`, an upload larger than
//! the quota gets `resource_exhausted` naming the key, and files past `adhoc_max_age` are
//! gone after a restart.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use base64::Engine;
use serde_json::{json, Value};

/// 12 bytes of folded profile.
const PROFILE: &str = "main;work 3\n";

fn adhoc(addr: SocketAddr, tenant: &str, method: &str, req: Value) -> (u16, Value) {
    let headers = [("Content-Type", "application/json"), ("X-Scope-OrgID", tenant)];
    let path = format!("/adhocprofiles.v1.AdHocProfileService/{method}");
    let (status, body) = common::http(addr, &path, &headers, req.to_string().as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn upload(addr: SocketAddr, tenant: &str, name: &str, text: &str) -> (u16, Value) {
    let profile = base64::engine::general_purpose::STANDARD.encode(text);
    adhoc(addr, tenant, "Upload", json!({ "name": name, "profile": profile }))
}

fn names(addr: SocketAddr, tenant: &str) -> Vec<String> {
    let (status, list) = adhoc(addr, tenant, "List", json!({}));
    assert_eq!(status, 200, "{list}");
    let mut names: Vec<String> =
        list["profiles"].as_array().into_iter().flatten().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_keeps_its_own_adhoc_files_within_the_quota() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_on_loopback_with(data.path(), "adhoc_max_bytes = 30\n").await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        for name in ["first", "second"] {
            assert_eq!(upload(addr, "team-a", name, PROFILE).0, 200);
        }
        assert_eq!(upload(addr, "team-b", "theirs", PROFILE).0, 200);
        assert_eq!(names(addr, "team-a"), ["first", "second"]);
        assert_eq!(names(addr, "team-b"), ["theirs"], "team-a's files are not team-b's");
        assert_eq!(upload(addr, "team-a", "third", PROFILE).0, 200);
        assert_eq!(names(addr, "team-a"), ["second", "third"], "36 bytes over 30: the oldest went");
        let (status, refused) = upload(addr, "team-a", "huge", &PROFILE.repeat(3));
        assert_eq!((status, refused["code"].as_str()), (429, Some("resource_exhausted")), "Connect's mapping");
        assert!(refused["message"].as_str().unwrap().contains("adhoc_max_bytes"), "{refused}");
        assert_eq!(names(addr, "team-a"), ["second", "third"], "a refused upload removes nothing");
        assert_eq!(names(addr, "anonymous"), Vec::<String>::new());
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adhoc_files_past_the_age_limit_are_gone_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start_on_loopback(data.path()).await;
    let addr = server.addr;
    let (status, saved) = tokio::task::spawn_blocking(move || upload(addr, "team-a", "old", PROFILE)).await.unwrap();
    assert_eq!(status, 200, "{saved}");
    server.shutdown().await.unwrap();
    let tenant_dir = data.path().join("adhoc/tenants/team-a");
    let file = std::fs::File::options().write(true).open(tenant_dir.join(saved["id"].as_str().unwrap())).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3 * 86_400)).unwrap();
    let server = common::start_on_loopback_with(data.path(), "adhoc_max_age = \"2d\"\n").await;
    let addr = server.addr;
    assert!(tokio::task::spawn_blocking(move || names(addr, "team-a")).await.unwrap().is_empty());
    server.shutdown().await.unwrap();
}
