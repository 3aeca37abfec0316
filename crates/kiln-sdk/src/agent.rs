//! The public start/stop API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::collector::{self, Counters};
use crate::error::Error;
use crate::push::{Auth, Uploader};
use crate::sampler;

/// SIGPROF and its timer are per process: one agent at a time.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Configures an [`Agent`]; see [`Agent::builder`].
#[derive(Clone, Debug)]
pub struct AgentBuilder {
    server: String,
    app_name: String,
    tags: Vec<(String, String)>,
    sample_rate: u32,
    upload_interval: Duration,
    auth: Auth,
    tenant: Option<String>,
    timeout: Duration,
}

impl AgentBuilder {
    /// Tags on every profile (scoped tags with the same key win). Keys are
    /// label names, `[A-Za-z_][A-Za-z0-9_.]*`, neither `service_name` nor
    /// starting with `__`; `start` refuses others.
    pub fn tags(mut self, tags: &[(&str, &str)]) -> Self {
        self.tags.extend(tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Samples per second of CPU time (default 100, at most 1000).
    pub fn sample_rate(mut self, hz: u32) -> Self {
        self.sample_rate = hz;
        self
    }

    /// How often profiles are pushed (default 10 s).
    pub fn upload_interval(mut self, every: Duration) -> Self {
        self.upload_interval = every;
        self
    }

    /// HTTP Basic credentials.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Auth::Basic { user: user.to_owned(), password: password.to_owned() };
        self
    }

    /// A Bearer token.
    pub fn bearer(mut self, token: &str) -> Self {
        self.auth = Auth::Bearer(token.to_owned());
        self
    }

    /// The tenant, sent as `X-Scope-OrgID`.
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant.to_owned());
        self
    }

    /// The timeout of one push (default 10 s).
    pub fn push_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts sampling and the collector thread.
    pub fn start(self) -> Result<Agent, Error> {
        self.validate()?;
        if RUNNING.swap(true, Ordering::AcqRel) {
            return Err(Error::AlreadyRunning);
        }
        let mut labels = vec![("__name__".to_owned(), "process_cpu".to_owned())];
        labels.push(("service_name".to_owned(), self.app_name.clone()));
        for (key, value) in self.tags {
            match labels.iter_mut().find(|(k, _)| *k == key) {
                Some(label) => label.1 = value,
                None => labels.push((key, value)),
            }
        }
        let config = collector::Config {
            period_nanos: 1_000_000_000 / i64::from(self.sample_rate),
            upload_interval: self.upload_interval,
            labels,
            uploader: Uploader::new(&self.server, &self.auth, self.tenant, self.timeout),
        };
        let counters = Arc::new(Counters::default());
        let (stop, stopped) = mpsc::channel();
        let thread_counters = Arc::clone(&counters);
        let spawned = std::thread::Builder::new()
            .name("kiln-sdk".into())
            .spawn(move || collector::run(config, &thread_counters, stopped));
        let collector = match spawned {
            Ok(handle) => handle,
            Err(source) => {
                RUNNING.store(false, Ordering::Release);
                return Err(Error::Os { what: "spawning the collector thread", source });
            }
        };
        let samples_before = sampler::SAMPLES.load(Ordering::Relaxed);
        let dropped_before = sampler::ring().dropped.load(Ordering::Relaxed);
        let mut agent = Agent { stop, collector: Some(collector), counters, samples_before, dropped_before };
        if let Err(e) = sampler::start(self.sample_rate) {
            let _ = agent.shut_down();
            return Err(e);
        }
        Ok(agent)
    }

    fn validate(&self) -> Result<(), Error> {
        if !(self.server.starts_with("http://") || self.server.starts_with("https://")) {
            return Err(Error::Config(format!("server URL {:?} must start with http:// or https://", self.server)));
        }
        if self.app_name.trim().is_empty() {
            return Err(Error::Config("the application name is empty".into()));
        }
        if !(1..=1000).contains(&self.sample_rate) {
            return Err(Error::Config(format!("sample rate {} Hz is outside 1..=1000", self.sample_rate)));
        }
        if let Some((key, _)) = self.tags.iter().find(|(k, _)| !valid_tag_key(k)) {
            return Err(Error::Config(format!(
                "tag {key:?}: names are [A-Za-z_][A-Za-z0-9_.]*, not service_name, not starting with __"
            )));
        }
        if self.upload_interval < Duration::from_millis(100) {
            return Err(Error::Config(format!("upload interval {:?} is below 100 ms", self.upload_interval)));
        }
        Ok(())
    }
}

/// A label name Kiln and Pyroscope accept that the agent does not set itself.
fn valid_tag_key(key: &str) -> bool {
    let mut chars = key.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        && !key.starts_with("__")
        && key != "service_name"
}

/// What the agent did so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Samples the signal handler stored.
    pub samples: u64,
    /// Samples lost because the collector was behind.
    pub samples_dropped: u64,
    /// Profiles (one per tag set and interval) the server accepted.
    pub profiles_pushed: u64,
    /// Pushes that failed (their profiles are lost).
    pub pushes_failed: u64,
    pub last_error: Option<String>,
}

/// A running profiler; [`Agent::stop`] flushes the last profiles.
pub struct Agent {
    stop: Sender<()>,
    collector: Option<JoinHandle<Result<(), Error>>>,
    counters: Arc<Counters>,
    samples_before: u64,
    dropped_before: u64,
}

impl Agent {
    /// Profiles to `server` (e.g. `http://localhost:4040`) as `service_name = app_name`.
    pub fn builder(server: &str, app_name: &str) -> AgentBuilder {
        AgentBuilder {
            server: server.to_owned(),
            app_name: app_name.to_owned(),
            tags: Vec::new(),
            sample_rate: 100,
            upload_interval: Duration::from_secs(10),
            auth: Auth::None,
            tenant: None,
            timeout: Duration::from_secs(10),
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            samples: sampler::SAMPLES.load(Ordering::Relaxed) - self.samples_before,
            samples_dropped: sampler::ring().dropped.load(Ordering::Relaxed) - self.dropped_before,
            profiles_pushed: self.counters.profiles_pushed.load(Ordering::Relaxed),
            pushes_failed: self.counters.pushes_failed.load(Ordering::Relaxed),
            last_error: self.counters.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    /// Stops sampling, pushes what was sampled since the last upload, and
    /// returns the counts; an error if that last push failed.
    pub fn stop(mut self) -> Result<Stats, Error> {
        self.shut_down()?;
        Ok(self.stats())
    }

    fn shut_down(&mut self) -> Result<(), Error> {
        let Some(collector) = self.collector.take() else { return Ok(()) };
        let stopped = sampler::stop();
        let _ = self.stop.send(());
        let flushed = collector.join().map_err(|_| Error::CollectorPanicked);
        RUNNING.store(false, Ordering::Release);
        stopped?;
        flushed?
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configuration_is_refused_before_anything_starts() {
        let refused = |b: AgentBuilder| matches!(b.start(), Err(Error::Config(_)));
        assert!(refused(Agent::builder("localhost:4040", "app")));
        assert!(refused(Agent::builder("http://localhost:4040", " ")));
        assert!(refused(Agent::builder("http://localhost:4040", "app").sample_rate(0)));
        assert!(refused(Agent::builder("http://localhost:4040", "app").upload_interval(Duration::ZERO)));
        assert!(refused(Agent::builder("http://localhost:4040", "app").tags(&[("my-tag", "v")])));
        assert!(refused(Agent::builder("http://localhost:4040", "app").tags(&[("__name__", "v")])));
        assert!(refused(Agent::builder("http://localhost:4040", "app").tags(&[("service_name", "v")])));
        assert!(!RUNNING.load(Ordering::Acquire));
    }
}
