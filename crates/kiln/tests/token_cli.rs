//! `kiln token create` as a user runs it: the secret is printed once, and
//! the block printed with it, pasted into the configuration file, makes a
//! server accept that secret for the role and tenants asked for; `kiln
//! query` sends it from `KILN_TOKEN`.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use kiln_api::auth::{sha256_hex, Role, Tenants};
use kiln_server::Config;

/// Runs `kiln token create ARGS` with `stdin`; what it printed.
fn token_create(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["token", "create"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The configuration with auth on and the printed block pasted in.
fn config_with(printed: &str, table: &str) -> Config {
    let block = &printed[printed.find(table).unwrap_or_else(|| panic!("no {table} in {printed}"))..];
    Config::load(Some(&format!("auth_enabled = true\n{block}")), &BTreeMap::new(), &BTreeMap::new()).unwrap()
}

fn authorization(value: &str) -> HeaderMap {
    HeaderMap::from_iter([(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap())])
}

#[test]
fn a_created_token_is_printed_once_and_its_block_accepts_it() {
    let printed = token_create(&["--tenant", "team-a", "--role", "ingest", "--name", "ci"], "");
    let token = printed.lines().find(|l| l.starts_with("kiln_")).expect("the token on a line of its own");
    let config = config_with(&printed, "[[auth_tokens]]");
    let entry = &config.auth_tokens[0];
    assert_eq!(
        (entry.name.as_str(), entry.role, entry.tenants.as_slice()),
        ("ci", Role::Ingest, &["team-a".into()][..])
    );
    assert_eq!(entry.sha256, sha256_hex(token));
    assert_eq!(printed.matches(token).count(), 1, "shown once, never in the block");
    let auth = config.authenticator().unwrap().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let principal = runtime.block_on(auth.identify(&authorization(&format!("Bearer {token}")))).unwrap();
    assert_eq!((principal.role, principal.tenants), (Role::Ingest, Tenants::Named(vec!["team-a".into()])));
}

#[test]
fn a_basic_user_keeps_only_an_argon2_hash_of_the_password_from_stdin() {
    let args = ["--tenant", "a", "--tenant", "b", "--role", "read", "--user", "grafana", "--password-stdin"];
    let printed = token_create(&args, "correct horse\n");
    assert!(!printed.contains("correct horse"), "{printed}");
    let config = config_with(&printed, "[[auth_users]]");
    assert!(config.auth_users[0].password_argon2.starts_with("$argon2id$"));
    let auth = config.authenticator().unwrap().unwrap();
    let basic = |password: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("grafana:{password}"));
        authorization(&format!("Basic {encoded}"))
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let principal = runtime.block_on(auth.identify(&basic("correct horse"))).unwrap();
    assert_eq!(principal.tenants, Tenants::Named(vec!["a".into(), "b".into()]));
    assert!(runtime.block_on(auth.identify(&basic("wrong horse"))).is_err());
}

#[test]
fn kiln_query_sends_the_token_from_kiln_token() {
    let printed = token_create(&["--tenant", "team-a", "--role", "read"], "");
    let token = printed.lines().find(|l| l.starts_with("kiln_")).unwrap().to_owned();
    let dir = std::env::temp_dir().join(format!("kiln-token-cli-{}", std::process::id()));
    let block = &printed[printed.find("[[auth_tokens]]").unwrap()..];
    let file =
        format!("auth_enabled = true\nlisten = \"127.0.0.1:0\"\ndata_dir = {:?}\n{block}", dir.to_str().unwrap());
    let config = Config::load(Some(&file), &BTreeMap::new(), &BTreeMap::new()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime.block_on(kiln_server::start(config, &BTreeMap::new(), false)).unwrap();
    let url = format!("http://{}", running.addr);
    let labels = |token: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
        cmd.args(["query", "labels", "--url", &url]).env("KILN_TOKEN", token).output().unwrap()
    };
    let with = labels(&token);
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    let without = labels("");
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(!without.status.success() && stderr.contains("401"), "{stderr}");
    runtime.block_on(running.shutdown()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
