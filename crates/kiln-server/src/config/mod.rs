//! Configuration: defaults < TOML file < `KILN_*` environment < flags, all
//! deserialized by serde into one typed [`Config`] (`sources.rs`): the
//! file's values keep their TOML types, the environment's and the flags'
//! text is read as the type of the field it sets. Unknown keys in the file
//! or the flags are errors, so a typo is never silently ignored; an unknown
//! `KILN_*` variable is only warned about, since platforms set their own
//! (Kubernetes adds `KILN_PORT`, `KILN_SERVICE_HOST` for a service named
//! `kiln`). The connection keys (`connections.rs`) are top-level keys
//! too, deserialized into their own struct.

mod auth;
mod connections;
mod durations;
mod limits;
mod sources;
mod storage;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ServerError;
pub use connections::{enabled, Connections};
pub use storage::{Role, Storage};

pub use auth::{new_token, new_user, TokenEntry, UserEntry};

/// Everything `kiln server` can be told. Field names are the TOML keys;
/// the environment variable of `foo_bar` is `KILN_FOO_BAR`. Durations take
/// `kiln_model::duration`'s grammar (`90s`, `1.5m`, `12h`, `30d`, `2w`, `0`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (Pyroscope's port by default).
    pub listen: String,
    /// Where data lives; the platform data directory when unset.
    pub data_dir: Option<PathBuf>,
    /// Drop data older than this (`30d`, `12h`, ...); keep forever when unset.
    #[serde(deserialize_with = "durations::optional")]
    pub retention_max_age: Option<Duration>,
    /// Drop the oldest data while the store is larger than this many bytes.
    pub retention_max_bytes: Option<u64>,
    /// Largest request body, compressed, in bytes.
    pub max_body_bytes: usize,
    /// Largest profile, uncompressed, in bytes.
    pub max_profile_size_bytes: usize,
    pub max_samples_per_profile: usize,
    pub max_label_names_per_series: usize,
    pub max_label_name_length: usize,
    pub max_label_value_length: usize,
    /// Refuse profiles stamped further in the past (`1h`); `0` accepts any.
    #[serde(deserialize_with = "durations::required")]
    pub reject_older_than: Duration,
    /// Refuse profiles stamped further in the future (`10m`); `0` accepts any.
    #[serde(deserialize_with = "durations::required")]
    pub reject_newer_than: Duration,
    /// Connection limits, timeouts and TLS: keys of their own struct.
    #[serde(skip)]
    pub connections: Connections,
    /// Memory all requests' decoding may hold at once, in bytes (`limits.rs`).
    pub decode_budget_bytes: usize,
    /// How long a request waits for its share of the decode budget before
    /// it is answered 429.
    #[serde(deserialize_with = "durations::required")]
    pub decode_wait: Duration,
    /// Body bytes a second each tenant may ingest; `0` is unlimited.
    pub ingestion_rate_bytes: u64,
    /// Body bytes a tenant may send at once above its rate.
    pub ingestion_burst_bytes: u64,
    /// Series a tenant may have written within the last hour; `0` is
    /// unlimited.
    pub max_series_per_tenant: usize,
    /// Longest time range one query may read; `0` is unlimited.
    #[serde(deserialize_with = "durations::required")]
    pub max_query_range: Duration,
    /// Largest `max_nodes` a query may ask for; `0` leaves kiln-query's own
    /// cap.
    pub max_query_nodes: i64,
    /// Bytes of adhoc profiles each tenant keeps (oldest dropped first).
    pub adhoc_max_bytes: u64,
    /// Drop adhoc profiles older than this; keep them forever when unset.
    #[serde(deserialize_with = "durations::optional")]
    pub adhoc_max_age: Option<Duration>,
    /// Authentication (`auth.rs`): every route but `/ready`, `/healthz`
    /// (and `/metrics` when public) needs a token or Basic user below.
    pub auth_enabled: bool,
    pub auth_tokens: Vec<TokenEntry>,
    pub auth_users: Vec<UserEntry>,
    /// With auth on, `/metrics` without a credential (no tenant named).
    pub metrics_public: bool,
    /// What this process does: `all`, `ingester`, `querier`, `compactor`.
    pub role: Role,
    /// Names this node in block ids and the compactor lease; the host name
    /// by default.
    pub node_id: Option<String>,
    /// The `[storage]` table and `storage_*` keys (`storage.rs`).
    #[serde(skip)]
    pub storage: Storage,
}

impl Default for Config {
    fn default() -> Self {
        let limits = kiln_model::ingest::limits::Limits::default();
        Config {
            listen: "0.0.0.0:4040".into(),
            data_dir: None,
            retention_max_age: None,
            retention_max_bytes: None,
            max_body_bytes: limits.ingestion_body_limit_bytes,
            max_profile_size_bytes: limits.max_profile_size_bytes,
            max_samples_per_profile: limits.max_profile_stacktrace_samples,
            max_label_names_per_series: limits.max_label_names_per_series,
            max_label_name_length: limits.max_label_name_length,
            max_label_value_length: limits.max_label_value_length,
            reject_older_than: Duration::from_secs(3600),
            reject_newer_than: Duration::from_secs(600),
            connections: Connections::default(),
            decode_budget_bytes: limits::DECODE_BUDGET_BYTES,
            decode_wait: limits::DECODE_WAIT,
            ingestion_rate_bytes: 0,
            ingestion_burst_bytes: 0,
            max_series_per_tenant: 0,
            max_query_range: Duration::ZERO,
            max_query_nodes: 0,
            adhoc_max_bytes: 1 << 30,
            adhoc_max_age: None,
            auth_enabled: false,
            auth_tokens: Vec::new(),
            auth_users: Vec::new(),
            metrics_public: false,
            role: Role::All,
            node_id: None,
            storage: Storage::default(),
        }
    }
}

impl Config {
    /// Layers the sources: `file` (TOML text), then `env` (all variables;
    /// only `KILN_*` are read), then `flags` (`key -> value`). Unknown
    /// `KILN_*` variables are logged as warnings ([`Config::unknown_env`]).
    pub fn load(
        file: Option<&str>,
        env: &BTreeMap<String, String>,
        flags: &BTreeMap<String, String>,
    ) -> Result<Config, ServerError> {
        for warning in Config::unknown_env(env) {
            tracing::warn!("{warning}");
        }
        let mut layers = sources::Layers::default();
        if let Some(text) = file {
            layers.file(text).map_err(|e| ServerError::Config(format!("config file: {e}")))?;
        }
        layers.env(env, &Config::all_keys());
        layers.flags(flags);
        let invalid = |e: serde::de::value::Error| ServerError::Config(e.to_string());
        let connections: Connections = layers.split_off(Connections::keys()).deserialize().map_err(invalid)?;
        connections.tls_files().map_err(ServerError::Config)?;
        let storage_keys = [&[storage::TABLE][..], Storage::keys()].concat();
        let storage = layers.split_off(&storage_keys).nested(storage::TABLE).map_err(ServerError::Config)?;
        let storage: Storage = storage.deserialize().map_err(invalid)?;
        let config: Config = layers.deserialize().map_err(invalid)?;
        Ok(Config { connections, storage, ..config })
    }

    /// The fields of [`Config`] itself; [`Connections::keys`] are the others.
    pub fn keys() -> &'static [&'static str] {
        sources::field_names::<Config>()
    }

    /// Every key a file, the environment or a flag can set.
    fn all_keys() -> Vec<&'static str> {
        [Config::keys(), Connections::keys(), Storage::keys()].concat()
    }

    /// One warning per `KILN_*` variable that sets no key, naming the
    /// closest known variable when one is near.
    pub fn unknown_env(env: &BTreeMap<String, String>) -> Vec<String> {
        sources::unknown_env(env, &Config::all_keys())
    }

    /// The data directory: as configured, else `$XDG_DATA_HOME/kiln`, else
    /// `~/.local/share/kiln`.
    pub fn data_dir(&self, env: &BTreeMap<String, String>) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        match env.get("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x).join("kiln"),
            None => PathBuf::from(env.get("HOME").cloned().unwrap_or_else(|| ".".into())).join(".local/share/kiln"),
        }
    }
}
