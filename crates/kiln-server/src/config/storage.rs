//! Where the data lives and what this process does with it: the
//! `[storage]` table of the file (`url`, `endpoint`, ...), also set by
//! `KILN_STORAGE_URL`-style variables and `--storage*` flags (keys
//! `storage_url`, ...), and the process's `role`.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use kiln_store::remote::RemoteOptions;
use serde::Deserialize;

use super::durations;
use super::sources;

/// The file's table, and the prefix of the flat keys.
pub const TABLE: &str = "storage";

/// The object store, when not the local data directory.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    /// `s3://bucket/prefix`, `gs://bucket/prefix` or `az://container/prefix`;
    /// unset: the `store` directory under the data directory.
    pub url: Option<String>,
    /// Endpoint of an S3-compatible store (Garage, MinIO).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style requests, as Garage and MinIO need.
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Plain HTTP to the endpoint; by default, when it is `http://`.
    pub allow_http: Option<bool>,
    /// How often a node sharing the store lists it for other nodes' objects.
    #[serde(deserialize_with = "durations::required")]
    pub refresh_interval: Duration,
    /// Memory for decoded partitions read back, in bytes.
    pub cache_bytes: usize,
    /// Memory for section bytes fetched from the bucket (not used on local
    /// disk), in bytes.
    pub section_cache_bytes: usize,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            url: None,
            endpoint: None,
            region: None,
            path_style: false,
            access_key_id: None,
            secret_access_key: None,
            allow_http: None,
            refresh_interval: Duration::from_secs(5),
            cache_bytes: kiln_store::StoreConfig::default().cache_bytes,
            section_cache_bytes: 256 << 20,
        }
    }
}

/// The secret stays out of logs and error messages.
impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "(set)"))
            .field("allow_http", &self.allow_http)
            .field("refresh_interval", &self.refresh_interval)
            .field("cache_bytes", &self.cache_bytes)
            .field("section_cache_bytes", &self.section_cache_bytes)
            .finish()
    }
}

impl Storage {
    /// The flat keys (`storage_url`, ...) the environment and flags set.
    pub fn keys() -> &'static [&'static str] {
        static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
        KEYS.get_or_init(|| {
            let fields = sources::field_names::<Storage>();
            fields.iter().map(|f| &*Box::leak(format!("{TABLE}_{f}").into_boxed_str())).collect()
        })
    }

    /// Whether the data lives in a remote object store.
    pub fn is_remote(&self) -> bool {
        self.url.is_some()
    }

    /// The options `kiln_store::remote` opens the store with.
    pub fn remote_options(&self) -> RemoteOptions {
        RemoteOptions {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            path_style: self.path_style,
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            allow_http: self.allow_http,
            ..RemoteOptions::default()
        }
    }
}

/// What one `kiln server` process does; every role but `all` is one part
/// of a scaled-out deployment sharing one object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Role {
    /// Ingests, queries and compacts: a single node, as by default.
    #[default]
    All,
    /// Accepts writes only: no query routes, no compaction.
    Ingester,
    /// Serves queries and the UI; refuses writes.
    Querier,
    /// Compacts and applies retention, while holding the compactor lease.
    Compactor,
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(text: String) -> Result<Role, String> {
        match text.trim() {
            "all" => Ok(Role::All),
            "ingester" => Ok(Role::Ingester),
            "querier" => Ok(Role::Querier),
            "compactor" => Ok(Role::Compactor),
            other => Err(format!("{other:?} is not a role: use all, ingester, querier or compactor")),
        }
    }
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Ingester => "ingester",
            Role::Querier => "querier",
            Role::Compactor => "compactor",
        }
    }

    pub fn ingests(self) -> bool {
        matches!(self, Role::All | Role::Ingester)
    }

    pub fn queries(self) -> bool {
        matches!(self, Role::All | Role::Querier)
    }

    pub fn compacts(self) -> bool {
        matches!(self, Role::All | Role::Compactor)
    }
}
