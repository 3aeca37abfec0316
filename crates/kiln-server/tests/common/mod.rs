//! What every end-to-end test of this crate starts with: a real server on a
//! free loopback port, data in a temporary directory, timestamps of any age
//! accepted (fixtures were recorded before today).

use std::collections::BTreeMap;
use std::path::Path;

use kiln_server::{Config, Running};

pub async fn start_on_loopback(data_dir: &Path) -> Running {
    let flags: BTreeMap<String, String> =
        [("listen", "127.0.0.1:0"), ("data_dir", data_dir.to_str().unwrap()), ("reject_older_than", "0")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let config = Config::load(None, &BTreeMap::new(), &flags).unwrap();
    kiln_server::start(config, &BTreeMap::new(), false).await.unwrap()
}
