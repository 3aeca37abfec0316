//! Configuration: defaults < TOML file < `KILN_*` environment < flags.
//! Unknown keys in the file or the environment are errors, so a typo is
//! never silently ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ServerError;

/// Everything `kiln server` can be told. Field names are the TOML keys;
/// the environment variable of `foo_bar` is `KILN_FOO_BAR`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (Pyroscope's port by default).
    pub listen: String,
    /// Where data lives; the platform data directory when unset.
    pub data_dir: Option<PathBuf>,
    /// Drop data older than this (`30d`, `12h`, ...); keep forever when unset.
    pub retention_max_age: Option<String>,
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
    pub reject_older_than: String,
    /// Refuse profiles stamped further in the future (`10m`); `0` accepts any.
    pub reject_newer_than: String,
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
            reject_older_than: "1h".into(),
            reject_newer_than: "10m".into(),
        }
    }
}

const KEYS: [&str; 12] = [
    "listen",
    "data_dir",
    "retention_max_age",
    "retention_max_bytes",
    "max_body_bytes",
    "max_profile_size_bytes",
    "max_samples_per_profile",
    "max_label_names_per_series",
    "max_label_name_length",
    "max_label_value_length",
    "reject_older_than",
    "reject_newer_than",
];

impl Config {
    /// Layers the sources: `file` (TOML text), then `env` (all variables;
    /// only `KILN_*` are read), then `flags` (`key -> value`).
    pub fn load(
        file: Option<&str>,
        env: &BTreeMap<String, String>,
        flags: &BTreeMap<String, String>,
    ) -> Result<Config, ServerError> {
        let mut table: toml::Table = match file {
            Some(text) => text.parse().map_err(|e| ServerError::Config(format!("config file: {e}")))?,
            None => toml::Table::new(),
        };
        for (k, v) in env.iter().filter_map(|(k, v)| Some((k.strip_prefix("KILN_")?, v))) {
            let key = k.to_ascii_lowercase();
            if !KEYS.contains(&key.as_str()) {
                return Err(ServerError::Config(format!(
                    "unknown environment variable KILN_{k}; known: {}",
                    env_names()
                )));
            }
            table.insert(key.clone(), typed(&key, v)?);
        }
        for (k, v) in flags {
            table.insert(k.clone(), typed(k, v)?);
        }
        table.try_into().map_err(|e: toml::de::Error| ServerError::Config(e.message().to_owned()))
    }

    pub fn retention_max_age(&self) -> Result<Option<Duration>, ServerError> {
        self.retention_max_age.as_deref().map(parse_duration).transpose()
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

fn env_names() -> String {
    KEYS.iter().map(|k| format!("KILN_{}", k.to_ascii_uppercase())).collect::<Vec<_>>().join(", ")
}

/// A text value as the TOML type its key takes.
fn typed(key: &str, v: &str) -> Result<toml::Value, ServerError> {
    let numeric = key.starts_with("max_") || key == "retention_max_bytes";
    if !numeric {
        return Ok(toml::Value::String(v.to_owned()));
    }
    v.trim()
        .parse::<i64>()
        .map(toml::Value::Integer)
        .map_err(|_| ServerError::Config(format!("{key} must be a whole number, not {v:?}")))
}

/// `90s`, `15m`, `12h`, `30d`, `2w`, or `0`.
pub fn parse_duration(s: &str) -> Result<Duration, ServerError> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = || ServerError::Config(format!("{s:?} is not a duration like 90s, 15m, 12h, 30d or 2w"));
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: u64 = s[..split].parse().map_err(|_| bad())?;
    let unit = match &s[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(n.checked_mul(unit).ok_or_else(bad)?))
}
