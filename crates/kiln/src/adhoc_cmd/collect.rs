//! Push mode's ingest sink: what the API accepts is merged in memory per
//! application (`service_name`), profile (`__name__`) and sample types, and
//! requests in flight are counted so kiln knows when the endpoint is quiet.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kiln_api::{IngestSink, Ingested};
use kiln_model::ingest::labels::{METRIC_NAME, SERVICE_NAME};
use kiln_model::merge::ProfileMerger;
use kiln_model::Profile;

/// (application, profile name, sample types as `type/unit`).
type Key = (String, String, Vec<String>);

/// Collects pushed profiles until [`Collector::close`].
pub struct Collector {
    groups: Mutex<BTreeMap<Key, Group>>,
    closed: AtomicBool,
    in_flight: AtomicUsize,
    last_activity: Mutex<Instant>,
}

#[derive(Default)]
struct Group {
    merger: ProfileMerger,
    profiles: usize,
}

/// One merged profile: application, profile name, how many were merged.
pub struct Collected {
    pub app: String,
    pub kind: String,
    pub profile: Profile,
    pub profiles: usize,
}

impl Collector {
    pub fn new() -> Collector {
        Collector {
            groups: Mutex::default(),
            closed: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last_activity: Mutex::new(Instant::now()),
        }
    }

    /// From now on, what arrives is acknowledged and dropped (`--duration` ended).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// How many profiles arrived so far.
    pub fn received(&self) -> usize {
        self.lock().values().map(|g| g.profiles).sum()
    }

    /// Marks a request in flight until the guard drops.
    pub fn request(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        InFlight(self)
    }

    /// True when no request is in flight and none ended within `quiet`.
    pub fn idle_for(&self, quiet: Duration) -> bool {
        let last = *self.last_activity.lock().unwrap_or_else(|e| e.into_inner());
        self.in_flight.load(Ordering::SeqCst) == 0 && last.elapsed() >= quiet
    }

    /// Starts the quiet period now (the command just exited).
    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// Takes the merged profiles, ordered by application and profile name.
    pub fn take(&self) -> Vec<Collected> {
        let groups = std::mem::take(&mut *self.lock());
        let merged = groups.into_iter().map(|((app, kind, _), g)| (app, kind, g));
        merged.map(|(app, kind, g)| Collected { app, kind, profile: g.merger.finish(), profiles: g.profiles }).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Group>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, profiles: &[Ingested]) -> Result<(), String> {
        if self.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut groups = self.lock();
        for p in profiles {
            let group = groups.entry(key(p)).or_default();
            group.merger.add(&p.profile).map_err(|e| e.to_string())?;
            group.profiles += 1;
        }
        Ok(())
    }
}

/// A request in flight, counted until dropped.
pub struct InFlight<'a>(&'a Collector);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl IngestSink for Collector {
    fn ingest<'a>(
        &'a self,
        _tenant: &'a str,
        profiles: Vec<Ingested>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        let result = self.add(&profiles);
        Box::pin(std::future::ready(result))
    }
}

/// The group of a pushed profile; all its series share these labels.
fn key(p: &Ingested) -> Key {
    let labels = p.series.first().map(|(labels, _)| labels.as_slice()).unwrap_or_default();
    let get = |name: &str| labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let profile = &p.profile;
    let types = profile.sample_types.iter().map(|vt| format!("{}/{}", profile.str(vt.ty), profile.str(vt.unit)));
    let kind = get(METRIC_NAME).unwrap_or_else(|| "unknown".to_owned());
    (get(SERVICE_NAME).unwrap_or_else(|| "unknown_service".to_owned()), kind, types.collect())
}
