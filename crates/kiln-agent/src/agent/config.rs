//! `kiln agent`'s configuration file: one TOML document in the shape
//! Prometheus and Alloy users know (`[server]`, `[agent]`,
//! `[[scrape_configs]]` with `static_configs` and `file_sd_configs`). Every
//! table refuses keys it does not know, so a typo is an error naming the
//! key and its line rather than a setting silently ignored. [`AgentConfig`]
//! is the whole file; new sections go in it as fields.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::host_job::{HostConfig, HOST_JOB};
use super::process_job::ProcessJobConfig;
use super::profile_kind::ProfileKind;
use super::target::TargetGroup;
use crate::error::{Error, Result};
use crate::http::Url;
use crate::upstream::{Auth, BufferLimits};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Where profiles are pushed.
    pub server: ServerConfig,
    /// The agent's own HTTP endpoint.
    #[serde(default)]
    pub agent: AgentSection,
    /// Pprof endpoints scraped like Alloy's `pyroscope.scrape`.
    #[serde(default)]
    pub scrape_configs: Vec<ScrapeConfig>,
    /// Processes sampled by pid, name or command-line pattern.
    #[serde(default)]
    pub process_configs: Vec<ProcessJobConfig>,
    /// The whole host, when enabled.
    pub host: Option<HostConfig>,
}

/// `[server]`: the Push API the agent ships to, and the bounds of each
/// job's queue of profiles waiting to be sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub address: String,
    /// Sent as `X-Scope-OrgID`.
    pub tenant: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    pub bearer_token: Option<String>,
    /// Profiles waiting per job while the server is unreachable, at most.
    #[serde(default = "default_buffer_max_profiles")]
    pub buffer_max_profiles: usize,
    /// Bytes of encoded profiles waiting per job, at most.
    #[serde(default = "default_buffer_max_bytes")]
    pub buffer_max_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

/// `[agent]`: where `/ready` and `/metrics` are served.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSection {
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for AgentSection {
    fn default() -> Self {
        AgentSection { listen: default_listen() }
    }
}

/// `[[scrape_configs]]`: one job of pprof targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    pub job_name: String,
    #[serde(default = "default_scrape_interval", deserialize_with = "duration")]
    pub scrape_interval: Duration,
    /// How long a target may take to answer past what it was asked for
    /// (the CPU profile's seconds).
    #[serde(default = "default_scrape_timeout", deserialize_with = "duration")]
    pub scrape_timeout: Duration,
    #[serde(default = "ProfileKind::defaults")]
    pub profiles: Vec<ProfileKind>,
    /// Only `http`.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// Put before every endpoint's path (`/debug/pprof/...`), e.g. `/internal`.
    #[serde(default)]
    pub path_prefix: String,
    /// `[[scrape_configs.static_configs]]`: targets (`host:port`) sharing labels.
    #[serde(default)]
    pub static_configs: Vec<TargetGroup>,
    #[serde(default)]
    pub file_sd_configs: Vec<FileSdConfig>,
}

/// `[[scrape_configs.file_sd_configs]]`: Prometheus file_sd JSON files
/// (glob patterns), read again whenever one changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    pub files: Vec<String>,
    /// How often the files are checked for changes.
    #[serde(default = "default_refresh_interval", deserialize_with = "duration")]
    pub refresh_interval: Duration,
}

fn default_buffer_max_profiles() -> usize {
    64
}
fn default_buffer_max_bytes() -> usize {
    16 << 20
}
fn default_listen() -> String {
    "127.0.0.1:4041".to_owned()
}
fn default_scrape_interval() -> Duration {
    Duration::from_secs(15)
}
fn default_scrape_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_scheme() -> String {
    "http".to_owned()
}
fn default_refresh_interval() -> Duration {
    Duration::from_secs(5)
}

/// A duration in kiln's one grammar (`15s`, `1m`, `500ms`).
pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    kiln_model::duration::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
}

impl AgentConfig {
    /// Parses and checks a configuration file's text.
    pub fn parse(text: &str) -> Result<AgentConfig> {
        let config: AgentConfig = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        self.server.url()?;
        if self.server.basic_auth.is_some() && self.server.bearer_token.is_some() {
            return Err(invalid("[server] takes basic_auth or bearer_token, not both"));
        }
        let mut names = BTreeSet::new();
        for job in &self.scrape_configs {
            if !names.insert(job.job_name.clone()) {
                return Err(invalid(format!("job_name {:?} is used by two scrape_configs", job.job_name)));
            }
            job.check()?;
        }
        for entry in &self.process_configs {
            entry.check()?;
            let name = entry.job_name();
            if !names.insert(name.clone()) {
                return Err(invalid(format!("job name {name:?} is used twice; give the entry a job_name")));
            }
        }
        if let Some(host) = self.host.as_ref().filter(|h| h.enabled) {
            host.check()?;
            if names.contains(HOST_JOB) {
                return Err(invalid(format!("job name {HOST_JOB:?} is taken by [host]")));
            }
        }
        Ok(())
    }
}

impl ServerConfig {
    pub fn url(&self) -> Result<Url> {
        Url::parse(&self.address).map_err(|e| invalid(format!("[server] address: {e}")))
    }

    pub fn auth(&self) -> Option<Auth> {
        match (&self.bearer_token, &self.basic_auth) {
            (Some(token), _) => Some(Auth::Bearer(token.clone())),
            (None, Some(b)) => Some(Auth::Basic(format!("{}:{}", b.username, b.password))),
            (None, None) => None,
        }
    }

    pub fn buffer(&self) -> BufferLimits {
        BufferLimits { max_profiles: self.buffer_max_profiles, max_bytes: self.buffer_max_bytes }
    }
}

impl ScrapeConfig {
    fn check(&self) -> Result<()> {
        let job = &self.job_name;
        if job.is_empty() {
            return Err(invalid("a scrape_configs entry has an empty job_name"));
        }
        if self.scrape_interval < Duration::from_secs(1) {
            return Err(invalid(format!("job {job:?}: scrape_interval must be at least 1s")));
        }
        if self.scrape_timeout.is_zero() {
            return Err(invalid(format!("job {job:?}: scrape_timeout must be more than 0")));
        }
        if self.scheme != "http" {
            return Err(invalid(format!("job {job:?}: scheme {:?} is not supported; use \"http\"", self.scheme)));
        }
        if !self.path_prefix.is_empty() && !self.path_prefix.starts_with('/') {
            return Err(invalid(format!("job {job:?}: path_prefix must start with '/'")));
        }
        if self.profiles.is_empty() {
            return Err(invalid(format!("job {job:?}: profiles is empty")));
        }
        let mut seen = BTreeSet::new();
        if let Some(twice) = self.profiles.iter().find(|p| !seen.insert(**p)) {
            return Err(invalid(format!("job {job:?}: profile {:?} is listed twice", twice.config_name())));
        }
        for group in &self.static_configs {
            for target in &group.targets {
                check_target(target).map_err(|e| invalid(format!("job {job:?}: {e}")))?;
            }
            check_labels(&group.labels).map_err(|e| invalid(format!("job {job:?}: {e}")))?;
        }
        for sd in &self.file_sd_configs {
            if sd.refresh_interval < Duration::from_millis(100) {
                return Err(invalid(format!("job {job:?}: refresh_interval must be at least 100ms")));
            }
            for pattern in &sd.files {
                glob::Pattern::new(pattern)
                    .map_err(|e| invalid(format!("job {job:?}: file_sd pattern {pattern:?}: {e}")))?;
            }
        }
        Ok(())
    }

    /// How many seconds of CPU profile one scrape asks for: the interval
    /// less one second, so a scrape ends before the next one starts.
    pub fn cpu_seconds(&self) -> u64 {
        self.scrape_interval.as_secs().saturating_sub(1).max(1)
    }
}

/// A target is `host:port`, without scheme or path.
pub fn check_target(target: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("target {target:?} {why}; write host:port"));
    if target.contains("://") || target.contains('/') {
        return bad("has a scheme or a path");
    }
    match Url::parse(target) {
        Ok(url) if target.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) && url.port() != 0 => Ok(()),
        _ => bad("is not valid"),
    }
}

/// Label names as Prometheus has them, and none reserved (`__...`).
pub fn check_labels(labels: &BTreeMap<String, String>) -> std::result::Result<(), String> {
    for name in labels.keys() {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("label name {name:?} is not valid: use letters, digits and '_'"));
        }
        if name.starts_with("__") {
            return Err(format!("label name {name:?} is reserved (names starting with \"__\")"));
        }
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Config(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_EXAMPLE: &str = r#"
[server]
address = "http://localhost:4040"

[[scrape_configs]]
job_name = "go-apps"
scrape_interval = "15s"
scrape_timeout = "10s"
profiles = ["cpu", "heap", "allocs", "mutex", "block", "goroutine"]

[[scrape_configs.static_configs]]
targets = ["127.0.0.1:6060"]
labels = { service_name = "api", env = "prod" }

[[scrape_configs.file_sd_configs]]
files = ["/etc/kiln/targets/*.json"]
"#;

    fn error(text: &str) -> String {
        AgentConfig::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_issue_example_parses_as_written() {
        let c = AgentConfig::parse(ISSUE_EXAMPLE).unwrap();
        assert_eq!(c.server.url().unwrap().port(), 4040);
        assert_eq!(c.agent.listen, "127.0.0.1:4041");
        let job = &c.scrape_configs[0];
        assert_eq!((job.scrape_interval, job.scrape_timeout), (Duration::from_secs(15), Duration::from_secs(10)));
        assert_eq!(job.profiles, ProfileKind::defaults());
        assert_eq!(job.static_configs[0].targets, ["127.0.0.1:6060"]);
        assert_eq!(job.static_configs[0].labels["service_name"], "api");
        assert_eq!(job.file_sd_configs[0].files, ["/etc/kiln/targets/*.json"]);
        assert_eq!(job.file_sd_configs[0].refresh_interval, Duration::from_secs(5));
        assert_eq!(job.cpu_seconds(), 14);
    }

    #[test]
    fn defaults_fill_what_a_job_leaves_out_and_auth_and_tenant_are_read() {
        let c = AgentConfig::parse(
            "[server]\naddress = \"127.0.0.1:4040\"\ntenant = \"team-a\"\n\
             basic_auth = { username = \"ann\", password = \"pw\" }\n\
             [agent]\nlisten = \"0.0.0.0:9999\"\n[[scrape_configs]]\njob_name = \"j\"\n",
        )
        .unwrap();
        assert_eq!(c.server.auth(), Some(Auth::Basic("ann:pw".into())));
        assert_eq!(c.server.tenant.as_deref(), Some("team-a"));
        assert_eq!(c.agent.listen, "0.0.0.0:9999");
        let job = &c.scrape_configs[0];
        assert_eq!(job.scrape_interval, Duration::from_secs(15));
        assert_eq!(job.profiles.len(), 6, "all six Go profiles by default");
        assert!(job.static_configs.is_empty() && job.file_sd_configs.is_empty());
    }

    #[test]
    fn host_and_process_configs_parse_with_their_defaults() {
        let c = AgentConfig::parse(
            "[server]\naddress = \"h:1\"\n[host]\nenabled = true\n\
             [[process_configs]]\nname = \"nginx\"\nlabels = { env = \"prod\" }\n\
             [[process_configs]]\ncmdline = \"java .*-jar shop\"\nspy = \"native\"\nsample_rate = 49\n\
             [[process_configs]]\npid = 42\njob_name = \"the-one\"\nspy = \"python\"\n",
        )
        .unwrap();
        let host = c.host.as_ref().unwrap();
        assert_eq!((host.enabled, host.sample_rate, host.upload_interval), (true, 100, Duration::from_secs(10)));
        assert!(!host.inline_frames, "symbol tables only by default");
        let names: Vec<String> = c.process_configs.iter().map(|p| p.job_name()).collect();
        assert_eq!(names, ["name=nginx", "cmdline=java .*-jar shop", "the-one"]);
        let nginx = c.process_configs[0].watch_config().unwrap();
        assert_eq!((nginx.spy, nginx.sample_rate_hz), (None, 100), "spy = auto, 100 Hz by default");
        assert_eq!(nginx.labels, [("env".to_owned(), "prod".to_owned())]);
        let java = c.process_configs[1].watch_config().unwrap();
        assert_eq!((java.spy, java.sample_rate_hz), (Some(crate::Spy::Native), 49));
        assert_eq!(c.process_configs[2].watch_config().unwrap().spy, Some(crate::Spy::Python));
    }

    #[test]
    fn bad_process_and_host_entries_are_refused_with_what_is_wrong() {
        let with = |rest: &str| error(&format!("[server]\naddress = \"h:1\"\n{rest}"));
        let both = with("[[process_configs]]\nname = \"a\"\npid = 1\n");
        assert!(both.contains("exactly one of pid, name"), "{both}");
        assert!(with("[[process_configs]]\nspy = \"native\"\n").contains("exactly one of pid, name"));
        assert!(with("[[process_configs]]\ncmdline = \"(\"\n").contains("cmdline pattern"));
        assert!(with("[[process_configs]]\nname = \"a\"\nspy = \"java\"\n").contains("spy \"java\""));
        let twice = with("[[process_configs]]\nname = \"a\"\n[[process_configs]]\nname = \"a\"\n");
        assert!(twice.contains("used twice"), "{twice}");
        assert!(with("[host]\nenabled = true\nsample_rate = 0\n").contains("sample_rate 0"));
        assert!(with("[host]\nenabled = true\nlabels = { __x = \"1\" }\n").contains("reserved"));
        assert!(with("[host]\nenable = true\n").contains("unknown field `enable`"));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let top = error("[server]\naddress = \"h:1\"\n[scrapes]\nx = 1\n");
        assert!(top.contains("unknown field `scrapes`"), "{top}");
        let in_job =
            error("[server]\naddress = \"h:1\"\n[[scrape_configs]]\njob_name = \"j\"\nscrape_intervall = \"1s\"\n");
        assert!(in_job.contains("unknown field `scrape_intervall`") && in_job.contains("line 5"), "{in_job}");
        let in_static = error(
            "[server]\naddress = \"h:1\"\n[[scrape_configs]]\njob_name = \"j\"\n\
             [[scrape_configs.static_configs]]\ntarget = [\"h:1\"]\n",
        );
        assert!(in_static.contains("unknown field `target`"), "{in_static}");
    }

    #[test]
    fn bad_values_are_refused_with_what_is_wrong() {
        let job =
            |rest: &str| error(&format!("[server]\naddress = \"h:1\"\n[[scrape_configs]]\njob_name = \"j\"\n{rest}"));
        assert!(job("profiles = [\"cpu\", \"wall\"]").contains("unknown variant `wall`"));
        assert!(job("profiles = [\"cpu\", \"cpu\"]").contains("\"cpu\" is listed twice"));
        assert!(job("scrape_interval = \"soon\"").contains("not a duration"));
        assert!(job("scrape_interval = \"500ms\"").contains("at least 1s"));
        assert!(job("scheme = \"https\"").contains("scheme \"https\" is not supported"));
        let target = job("[[scrape_configs.static_configs]]\ntargets = [\"http://h:1/x\"]");
        assert!(target.contains("write host:port"), "{target}");
        assert!(job("[[scrape_configs.static_configs]]\ntargets = [\"h\"]").contains("write host:port"));
        let label = job("[[scrape_configs.static_configs]]\ntargets = [\"h:1\"]\nlabels = { __name__ = \"x\" }");
        assert!(label.contains("reserved"), "{label}");
        let twice = error(
            "[server]\naddress = \"h:1\"\n[[scrape_configs]]\njob_name = \"j\"\n[[scrape_configs]]\njob_name = \"j\"\n",
        );
        assert!(twice.contains("used by two scrape_configs"), "{twice}");
        let auth = error(
            "[server]\naddress = \"h:1\"\nbearer_token = \"t\"\nbasic_auth = { username = \"a\", password = \"b\" }\n",
        );
        assert!(auth.contains("not both"), "{auth}");
        assert!(error("[server]\naddress = \"https://h\"\n").contains("TLS not supported"));
        assert!(error("[agent]\nlisten = \"x\"\n").contains("missing field `server`"));
    }
}
