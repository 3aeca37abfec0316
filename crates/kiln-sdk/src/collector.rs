//! The collector thread: drains the ring every [`DRAIN_EVERY`], counts
//! stacks per tag set, and every upload interval (and at stop) pushes one
//! CPU profile per tag set, labelled with the global labels and the set's
//! tags.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use prost::Message;
use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::push::Uploader;
use crate::symbolize::Symbolizer;
use crate::{pprof, sampler, tags};

const DRAIN_EVERY: Duration = Duration::from_millis(100);

pub struct Config {
    pub period_nanos: i64,
    pub upload_interval: Duration,
    /// `service_name`, `__name__` and the global tags.
    pub labels: Vec<(String, String)>,
    pub uploader: Uploader,
}

/// Counters the application can read while the agent runs.
#[derive(Default)]
pub struct Counters {
    pub profiles_pushed: AtomicU64,
    pub pushes_failed: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

type Stacks = FxHashMap<(u32, Box<[u64]>), u64>;

/// Runs until `stop` receives (or its sender drops), then pushes what is
/// left and returns the last push's result.
pub fn run(config: Config, counters: &Counters, stop: Receiver<()>) -> Result<(), Error> {
    let mut stacks = Stacks::default();
    let mut symbolizer = Symbolizer::default();
    let mut window_start = SystemTime::now();
    let mut next_upload = Instant::now() + config.upload_interval;
    loop {
        let wait = next_upload.saturating_duration_since(Instant::now()).min(DRAIN_EVERY);
        let stopping = !matches!(stop.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
        drain(&mut stacks);
        if stopping || Instant::now() >= next_upload {
            let now = SystemTime::now();
            let result = upload(&config, std::mem::take(&mut stacks), window_start, now, &mut symbolizer);
            match &result {
                Ok(pushed) => {
                    counters.profiles_pushed.fetch_add(*pushed as u64, Ordering::Relaxed);
                }
                Err(e) => {
                    counters.pushes_failed.fetch_add(1, Ordering::Relaxed);
                    *counters.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                }
            }
            window_start = now;
            next_upload = Instant::now() + config.upload_interval;
            if stopping {
                return result.map(|_| ());
            }
        }
    }
}

fn drain(stacks: &mut Stacks) {
    sampler::ring().drain(|record| {
        let pcs: Box<[u64]> = record.pcs[..record.depth as usize].into();
        *stacks.entry((record.tag_set, pcs)).or_default() += 1;
    });
}

/// Pushes one series per tag set of `stacks`; returns how many.
fn upload(
    config: &Config,
    stacks: Stacks,
    from: SystemTime,
    until: SystemTime,
    symbolizer: &mut Symbolizer,
) -> Result<usize, Error> {
    let mut by_set: FxHashMap<u32, Vec<(&[u64], u64)>> = FxHashMap::default();
    for ((set, pcs), taken) in &stacks {
        by_set.entry(*set).or_default().push((pcs, *taken));
    }
    let time_nanos = from.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos() as i64;
    let duration_nanos = until.duration_since(from).unwrap_or_default().as_nanos() as i64;
    let mut series = Vec::new();
    for (set, set_stacks) in by_set {
        let mut labels = config.labels.clone();
        for (key, value) in tags::tags_of(set) {
            match labels.iter_mut().find(|(k, _)| *k == key) {
                Some(label) => label.1 = value,
                None => labels.push((key, value)),
            }
        }
        let profile = pprof::cpu_profile(set_stacks, config.period_nanos, time_nanos, duration_nanos, symbolizer);
        series.push((labels, profile.encode_to_vec()));
    }
    let count = series.len();
    if count > 0 {
        config.uploader.push(series)?;
    }
    Ok(count)
}
