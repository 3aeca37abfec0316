//! One `[[scrape_configs]]` job, like Alloy's `pyroscope.scrape`: its
//! targets are the static ones plus those its file_sd files list, looked
//! at again every `refresh_interval`; each target's profile kinds are
//! scraped every `scrape_interval` by their own task, which a target's
//! disappearance aborts (and its delta state with it). A failing scrape is
//! counted and logged and the next one tries again; it never stops the
//! others. Decoding, deltas and encoding run on the blocking pool.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::config::ScrapeConfig;
use super::delta::DeltaState;
use super::file_sd::FileSd;
use super::metrics::JobCounters;
use super::prepare::Preparation;
use super::profile_kind::ProfileKind;
use super::target::{Target, TargetGroup};
use crate::http::Url;
use crate::upstream::ShipQueue;

/// Largest answer read from a target; a larger one fails the scrape.
const MAX_BODY: usize = 64 << 20;

/// A task aborted when dropped.
struct Aborting(JoinHandle<()>);

impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the job on `runtime`; aborting the returned task stops it and
/// every scrape it started.
pub fn start(runtime: &Handle, config: ScrapeConfig, queue: ShipQueue, counters: Arc<JobCounters>) -> JoinHandle<()> {
    runtime.spawn(run(Arc::new(config), queue, counters))
}

async fn run(config: Arc<ScrapeConfig>, queue: ShipQueue, counters: Arc<JobCounters>) {
    let job = config.job_name.as_str();
    let statics: Vec<TargetGroup> = config
        .static_configs
        .iter()
        .map(|s| TargetGroup { targets: s.targets.clone(), labels: s.labels.clone() })
        .collect();
    let mut discovery: Vec<FileSd> = config.file_sd_configs.iter().map(|sd| FileSd::new(sd.files.clone())).collect();
    let refresh = config.file_sd_configs.iter().map(|sd| sd.refresh_interval).min();
    let mut running: BTreeMap<Target, Vec<Aborting>> = BTreeMap::new();
    let mut first = true;
    loop {
        let refreshed = tokio::task::spawn_blocking(move || {
            let changed = discovery.iter_mut().fold(false, |changed, sd| sd.refresh() | changed);
            (discovery, changed)
        })
        .await;
        let Ok((back, changed)) = refreshed else {
            eprintln!("kiln agent: job {job:?}: file service discovery failed; the job stops");
            return;
        };
        discovery = back;
        if changed || first {
            first = false;
            let discovered: Vec<TargetGroup> = discovery.iter().flat_map(FileSd::groups).collect();
            let wanted: Vec<Target> =
                Target::all_of(job, &statics).into_iter().chain(Target::all_of(job, &discovered)).collect();
            running.retain(|target, _| wanted.contains(target));
            for target in wanted {
                if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(target) {
                    let tasks = start_target(&config, slot.key(), &queue, &counters);
                    slot.insert(tasks);
                }
            }
        }
        counters.set_targets(running.len());
        match refresh {
            Some(every) => tokio::time::sleep(every).await,
            None => std::future::pending().await,
        }
    }
}

/// One task per profile kind of a new target.
fn start_target(
    config: &Arc<ScrapeConfig>,
    target: &Target,
    queue: &ShipQueue,
    counters: &Arc<JobCounters>,
) -> Vec<Aborting> {
    let target = Arc::new(target.clone());
    let scrape_kind = |kind: ProfileKind| {
        let task = scrape(Arc::clone(config), Arc::clone(&target), kind, queue.clone(), Arc::clone(counters));
        Aborting(tokio::spawn(task))
    };
    config.profiles.iter().copied().map(scrape_kind).collect()
}

/// Scrapes one kind of profile from one target every interval, forever.
async fn scrape(
    config: Arc<ScrapeConfig>,
    target: Arc<Target>,
    kind: ProfileKind,
    queue: ShipQueue,
    counters: Arc<JobCounters>,
) {
    let job = config.job_name.as_str();
    let Ok(url) = Url::parse(&target.address) else { return };
    let cpu_seconds = config.cpu_seconds();
    let request = kind.target(&config.path_prefix, cpu_seconds);
    let timeout = match kind {
        ProfileKind::Cpu => config.scrape_timeout + Duration::from_secs(cpu_seconds),
        _ => config.scrape_timeout,
    };
    let mut labels = target.labels.clone();
    labels.push(("__delta__".to_owned(), "false".to_owned()));
    let mut preparation =
        Some(Preparation { kind, scraped: config.profiles.clone(), labels, delta: DeltaState::default() });
    let mut ticks = tokio::time::interval_at(
        Instant::now() + spread(&target, kind, config.scrape_interval),
        config.scrape_interval,
    );
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The last failure logged: a target that stays down is logged once,
    // then again when the failure changes or the target answers again.
    let mut last_failure: Option<String> = None;
    loop {
        ticks.tick().await;
        let mut failed = |why: String| {
            counters.failed();
            if last_failure.as_ref() != Some(&why) {
                eprintln!("kiln agent: job {job:?}: scraping http://{}{request} failed: {why}", target.address);
                last_failure = Some(why);
            }
        };
        let body = match tokio::time::timeout(timeout, url.get_limited(&request, MAX_BODY)).await {
            Err(_) => {
                failed(format!("no answer within {}s", timeout.as_secs_f64()));
                continue;
            }
            Ok(Err(e)) => {
                failed(e.to_string());
                continue;
            }
            Ok(Ok(response)) if !(200..300).contains(&response.status) => {
                let text = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).trim().to_owned();
                failed(format!("HTTP {}: {text}", response.status));
                continue;
            }
            Ok(Ok(response)) => response.body,
        };
        let Some(mut work) = preparation.take() else { return };
        let done = tokio::task::spawn_blocking(move || {
            let prepared = work.prepare(&body);
            (work, prepared)
        })
        .await;
        let Ok((work, prepared)) = done else { return };
        preparation = Some(work);
        match prepared {
            Ok(prepared) => {
                if last_failure.take().is_some() {
                    eprintln!("kiln agent: job {job:?}: scraping http://{}{request} works again", target.address);
                }
                counters.taken(prepared.samples);
                if let Some(body) = prepared.body {
                    queue.send(body);
                }
            }
            Err(e) => failed(e.to_string()),
        }
    }
}

/// Where in the interval a target's scrapes of `kind` fall, so that many
/// targets do not all answer at once; always within the first interval.
fn spread(target: &Target, kind: ProfileKind, interval: Duration) -> Duration {
    let mut h = DefaultHasher::new();
    (target, kind).hash(&mut h);
    let millis = interval.as_millis().max(1) as u64;
    Duration::from_millis(h.finish() % millis)
}
