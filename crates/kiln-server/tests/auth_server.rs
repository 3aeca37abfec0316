//! Authentication on a real `kiln server` on loopback, configured as a
//! user would: the blocks `kiln token create` prints pasted into the
//! configuration file. A token reaches its own tenant and no other; wrong
//! entries stop the start and name themselves.

mod common;

use std::collections::BTreeMap;

use kiln_api::auth::Role;
use kiln_api::pb::types::v1 as t;
use kiln_server::{new_token, Config};

fn tenants(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// A Connect `LabelValues` of `service_name` with these headers.
fn services(addr: std::net::SocketAddr, headers: &[(&str, &str)]) -> (u16, Vec<String>) {
    let req = t::LabelValuesRequest { name: "service_name".into(), matchers: vec![], start: 0, end: i64::MAX / 2 };
    let mut all = vec![("Content-Type", "application/proto")];
    all.extend_from_slice(headers);
    let path = "/querier.v1.QuerierService/LabelValues";
    let (status, body) = common::http(addr, path, &all, &prost::Message::encode_to_vec(&req));
    let names = if status == 200 {
        prost::Message::decode(body.as_slice()).map_or(vec![], |r: t::LabelValuesResponse| r.names)
    } else {
        vec![]
    };
    (status, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_token_create_reach_their_own_tenant_and_no_other() {
    let (ingest_a, ingest_block) = new_token("ci", Role::Ingest, &tenants(&["team-a"]));
    let (read_a, read_a_block) = new_token("grafana-a", Role::Read, &tenants(&["team-a"]));
    let (read_b, read_b_block) = new_token("grafana-b", Role::Read, &tenants(&["team-b"]));
    let file = format!("auth_enabled = true\n{ingest_block}\n{read_a_block}\n{read_b_block}");
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback_with(dir.path(), &file).await;
    let addr = running.addr;
    let ingest = |auth: &str| {
        let headers = [("Content-Type", "text/plain"), ("Authorization", auth)];
        common::http(addr, "/ingest?name=api&format=folded", &headers, b"main;work 5\n").0
    };
    assert_eq!(ingest(""), 401, "no credential");
    assert_eq!(ingest(&format!("Bearer {read_a}")), 403, "a read token cannot write");
    assert_eq!(ingest(&format!("Bearer {ingest_a}")), 200);
    let bearer = |t: &str| format!("Bearer {t}");
    assert_eq!(services(addr, &[("Authorization", &bearer(&read_a))]), (200, vec!["api".to_owned()]));
    assert_eq!(services(addr, &[("Authorization", &bearer(&read_b))]), (200, vec![]), "team-b has nothing");
    let (status, _) = services(addr, &[("Authorization", &bearer(&read_b)), ("X-Scope-OrgID", "team-a")]);
    assert_eq!(status, 403, "team-b's token naming team-a");
    assert_eq!(services(addr, &[("X-Scope-OrgID", "team-a")]).0, 401, "the header alone opens nothing");
    running.shutdown().await.unwrap();
}

async fn start_error(file: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let flags = BTreeMap::from([
        ("listen".to_owned(), "127.0.0.1:0".to_owned()),
        ("data_dir".to_owned(), dir.path().to_str().unwrap().to_owned()),
    ]);
    let config = match Config::load(Some(file), &BTreeMap::new(), &flags) {
        Ok(c) => c,
        Err(e) => return e.to_string(),
    };
    match kiln_server::start(config, &BTreeMap::new(), false).await {
        Ok(_) => panic!("started with {file}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn wrong_auth_entries_stop_the_start_and_name_the_entry() {
    let token = "[[auth_tokens]]\nname = \"ci\"\nrole = \"ingest\"\ntenants = [\"a\"]\n";
    let bad_hash = start_error(&format!("auth_enabled = true\n{token}sha256 = \"abc\"\n")).await;
    assert!(bad_hash.contains("auth_tokens[0]") && bad_hash.contains("64 hexadecimal"), "{bad_hash}");
    let bad_role = start_error(&format!("{}sha256 = \"{}\"\n", token.replace("ingest", "write"), "0".repeat(64))).await;
    assert!(bad_role.contains("auth_tokens") && bad_role.contains("unknown variant"), "{bad_role}");
    let nobody = start_error("auth_enabled = true\n").await;
    assert!(nobody.contains("no token or user"), "{nobody}");
    let user = "[[auth_users]]\nusername = \"u\"\nrole = \"read\"\ntenants = [\"a\"]\npassword_argon2 = \"hunter2\"\n";
    let clear = start_error(&format!("auth_enabled = true\n{user}")).await;
    assert!(clear.contains("auth_users[0]") && clear.contains("PHC"), "{clear}");
}

#[test]
fn the_switch_is_one_environment_variable() {
    let env = BTreeMap::from([("KILN_AUTH_ENABLED".to_owned(), "true".to_owned())]);
    assert!(Config::load(None, &env, &BTreeMap::new()).unwrap().auth_enabled);
    assert!(Config::unknown_env(&env).is_empty());
}
