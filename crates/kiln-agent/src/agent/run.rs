//! [`run_agent`]: the agent's one process. It serves `/ready` and
//! `/metrics`, starts every job in one place, each with its own
//! [`Shipper`] (its own bounded queue, so one job's backlog never drops
//! another's profiles) and its own counters, then waits to be stopped; at
//! the end each job's queue gets a last chance to reach the server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::AgentConfig;
use super::endpoint;
use super::host_job::{self, HOST_JOB};
use super::metrics::{AgentMetrics, JobCounters};
use super::process_job;
use super::scrape_job;
use crate::error::{Error, Result};
use crate::upstream::{BufferLimits, PushClient, ShipQueue, ShipStats, Shipper};

/// How often the loop asks whether to stop.
const TICK: Duration = Duration::from_millis(100);
/// How long the queues may take to empty at the end, all jobs together.
const FLUSH_LIMIT: Duration = Duration::from_secs(5);

/// A job the run loop started: its queue, and how to stop it.
struct StartedJob {
    name: String,
    shipper: Shipper,
    stop: Box<dyn FnOnce() + Send>,
}

/// The jobs started so far and what a new one is given.
struct Jobs<'a> {
    client: &'a PushClient,
    limits: BufferLimits,
    metrics: &'a AgentMetrics,
    started: Vec<StartedJob>,
}

impl Jobs<'_> {
    /// Starts job `name`: its shipper and counters, then `start` with them,
    /// which returns how to stop what it started.
    fn start(
        &mut self,
        name: &str,
        start: impl FnOnce(ShipQueue, Arc<JobCounters>) -> Box<dyn FnOnce() + Send>,
    ) -> Result<()> {
        let shipper = Shipper::start(self.client.clone(), self.limits)?;
        let counters = self.metrics.register(name, shipper.queue());
        let stop = start(shipper.queue(), counters);
        self.started.push(StartedJob { name: name.to_owned(), shipper, stop });
        Ok(())
    }
}

/// What each job shipped, by job name.
#[derive(Debug)]
pub struct AgentOutcome {
    pub jobs: Vec<(String, ShipStats)>,
}

/// Runs the agent until `stop` says so. `on_listening` is told the address
/// `/ready` and `/metrics` are served on.
pub fn run_agent(
    config: AgentConfig,
    stop: impl Fn() -> bool,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> Result<AgentOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .thread_name("kiln-agent")
        .enable_all()
        .build()
        .map_err(|source| Error::Io { what: "starting the agent's runtime", source })?;
    let client = PushClient::new(config.server.url()?, config.server.auth(), config.server.tenant.clone());
    let listen = config.agent.listen.as_str();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .map_err(|e| Error::Config(format!("[agent] listen = {listen:?}: {e}")))?;
    let address =
        listener.local_addr().map_err(|source| Error::Io { what: "reading the listening address", source })?;
    let metrics = Arc::new(AgentMetrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    runtime.spawn(endpoint::serve(listener, Arc::clone(&metrics), Arc::clone(&ready)));
    on_listening(address);

    // Every job starts here, each with its own queue and counters.
    let mut jobs = Jobs { client: &client, limits: config.server.buffer(), metrics: &metrics, started: Vec::new() };
    for scrape in config.scrape_configs {
        let name = scrape.job_name.clone();
        jobs.start(&name, |queue, counters| {
            let task = scrape_job::start(runtime.handle(), scrape, queue, counters);
            Box::new(move || task.abort())
        })?;
    }
    for entry in &config.process_configs {
        let watch = entry.watch_config()?;
        jobs.start(&entry.job_name(), |queue, counters| process_job::run(watch, entry, queue, counters))?;
    }
    if let Some(host) = config.host.as_ref().filter(|h| h.enabled) {
        let profiler = host.start_profiler()?;
        let labels = host.labels.clone();
        jobs.start(HOST_JOB, |queue, counters| host_job::run(profiler, labels, queue, counters))?;
    }
    ready.store(true, Ordering::SeqCst);

    while !stop() {
        std::thread::sleep(TICK);
    }
    ready.store(false, Ordering::SeqCst);
    let mut shippers = Vec::new();
    for job in jobs.started {
        (job.stop)();
        shippers.push((job.name, job.shipper));
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    let deadline = Instant::now() + FLUSH_LIMIT;
    let jobs = shippers
        .into_iter()
        .map(|(name, shipper)| (name, shipper.finish(deadline.saturating_duration_since(Instant::now()))))
        .collect();
    Ok(AgentOutcome { jobs })
}
