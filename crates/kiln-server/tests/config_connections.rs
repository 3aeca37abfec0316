//! The connection keys: set like every other key (file, `KILN_*`, flags),
//! durations in the usual grammar, the TLS files only as a pair.

use std::collections::BTreeMap;
use std::time::Duration;

use kiln_server::{Config, Connections};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn connection_keys_layer_like_the_others_from_file_env_and_flags() {
    let file = "max_connections = 500\nidle_timeout = \"30s\"\nlisten = \"127.0.0.1:1\"";
    let env = map(&[("KILN_IDLE_TIMEOUT", "45s"), ("KILN_BODY_READ_TIMEOUT", "2m")]);
    let flags = map(&[("header_read_timeout", "0")]);
    let config = Config::load(Some(file), &env, &flags).unwrap();
    let want = Connections {
        max_connections: 500,
        idle_timeout: Duration::from_secs(45),
        body_read_timeout: Duration::from_secs(120),
        header_read_timeout: Duration::ZERO,
        ..Connections::default()
    };
    assert_eq!(config.connections, want);
    assert_eq!(config.listen, "127.0.0.1:1");
    assert!(Config::unknown_env(&env).is_empty(), "connection variables are known");
}

#[test]
fn a_tls_certificate_without_its_key_or_a_bad_connection_value_is_refused() {
    let half = Config::load(None, &BTreeMap::new(), &map(&[("tls_cert_file", "/etc/kiln/tls.crt")]));
    let err = half.unwrap_err().to_string();
    assert!(err.contains("tls_cert_file and tls_key_file must be set together"), "{err}");
    let bad = Config::load(None, &map(&[("KILN_MAX_CONNECTIONS", "many")]), &BTreeMap::new());
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("max_connections") && err.contains("not a whole number"), "{err}");
}
