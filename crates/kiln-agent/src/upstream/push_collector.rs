//! The push upstream's ingest sink: what kiln-api's router accepts is merged in memory per
//! application (`service_name`), profile (`__name__`) and sample types, and
//! requests in flight are counted so the caller knows when the endpoint is
//! quiet (`settle`).
//! Sample types that are gauges (`inuse_space`, `goroutine`: Pyroscope's
//! `average` aggregation) are averaged over the profiles pushed, not summed:
//! ten heap snapshots of 100 MB in use are 100 MB in use, not 1 GB.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kiln_api::{IngestSink, Ingested, SinkError, SinkErrorKind};
use kiln_model::ingest::labels::{METRIC_NAME, SERVICE_NAME};
use kiln_model::merge::ProfileMerger;
use kiln_model::profile_type::default_sample_type_config;
use kiln_model::Profile;

/// After the pushing program exits, requests are still taken until none
/// has been seen for this long...
const QUIET: Duration = Duration::from_millis(200);
/// ...or for at most this long.
pub const GRACE: Duration = Duration::from_secs(2);

/// (application, profile name, sample types as `type/unit`).
type Key = (String, String, Vec<String>);

/// Collects pushed profiles until [`PushCollector::close`].
pub struct PushCollector {
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

impl Default for PushCollector {
    fn default() -> Self {
        PushCollector::new()
    }
}

impl PushCollector {
    pub fn new() -> PushCollector {
        PushCollector {
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

    /// Lets requests sent just before the program exited arrive, then closes.
    pub fn settle(&self) {
        self.touch();
        let started = Instant::now();
        while !self.idle_for(QUIET) && started.elapsed() < GRACE {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.close();
    }

    /// Takes the merged profiles, ordered by application and profile name.
    pub fn take(&self) -> Vec<Collected> {
        let groups = std::mem::take(&mut *self.lock());
        let merged = groups.into_iter().map(|((app, kind, _), g)| (app, kind, g));
        merged
            .map(|(app, kind, g)| {
                let mut profile = g.merger.finish();
                average_gauges(&mut profile, g.profiles);
                Collected { app, kind, profile, profiles: g.profiles }
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Group>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, profiles: &[Ingested]) -> Result<(), SinkError> {
        if self.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut groups = self.lock();
        for p in profiles {
            let group = groups.entry(key(p)).or_default();
            group.merger.add(&p.profile).map_err(refused)?;
            group.profiles += 1;
        }
        Ok(())
    }
}

/// A request in flight, counted until dropped.
pub struct InFlight<'a>(&'a PushCollector);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl IngestSink for PushCollector {
    fn ingest<'a>(
        &'a self,
        _tenant: &'a str,
        profiles: Vec<Ingested>,
    ) -> Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>> {
        let result = self.add(&profiles);
        Box::pin(std::future::ready(result))
    }
}

/// A pushed profile that cannot be merged with the others of its group.
fn refused(e: kiln_model::Error) -> SinkError {
    let kind = match e.kind {
        kiln_model::ErrorKind::TooLarge => SinkErrorKind::TooLarge,
        _ => SinkErrorKind::InvalidArgument,
    };
    SinkError::new(kind, e.to_string())
}

/// Divides the values of gauge sample types by the number of profiles
/// summed into them (rounded to the nearest).
fn average_gauges(profile: &mut Profile, profiles: usize) {
    let n = i64::try_from(profiles).unwrap_or(i64::MAX);
    if n <= 1 {
        return;
    }
    let gauges: Vec<usize> = (0..profile.sample_types.len())
        .filter(|&i| {
            let config = default_sample_type_config(profile.str(profile.sample_types[i].ty));
            config.is_some_and(|c| c.aggregation.as_deref() == Some("average"))
        })
        .collect();
    for sample in &mut profile.samples {
        for &i in &gauges {
            if let Some(value) = sample.values.get_mut(i) {
                *value = (*value + n / 2) / n;
            }
        }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kiln_model::{ProfileBuilder, Tree};

    use super::*;

    fn pushed(name: &str, types: &[(&str, &str)], stacks: &[(&str, &[i64])]) -> Ingested {
        let mut b = ProfileBuilder::new(types, types[0], 0);
        for (stack, values) in stacks {
            b.add_stack(&stack.split(';').collect::<Vec<_>>(), values);
        }
        let labels = vec![(SERVICE_NAME.to_owned(), "app".to_owned()), (METRIC_NAME.to_owned(), name.to_owned())];
        Ingested { id: 0, time_nanos: 0, duration_nanos: 0, profile: Arc::new(b.build()), series: vec![(labels, 0)] }
    }

    fn folded(c: &Collected, index: usize) -> BTreeMap<String, i64> {
        Tree::from_profile(&c.profile, index).folded_map()
    }

    #[test]
    fn heap_snapshots_pushed_are_averaged_and_cpu_profiles_are_summed() {
        let heap = [("inuse_objects", "count"), ("inuse_space", "bytes")];
        let cpu = [("samples", "count"), ("cpu", "nanoseconds")];
        let collector = PushCollector::new();
        for (objects, bytes) in [(2, 100), (4, 300), (6, 500)] {
            let snapshot = pushed("memory", &heap, &[("main;alloc", &[objects, bytes])]);
            let burn = pushed("process_cpu", &cpu, &[("main;burn", &[10, 100])]);
            collector.add(&[snapshot, burn]).expect("accepted");
        }
        let taken = collector.take();
        let memory = taken.iter().find(|c| c.kind == "memory").expect("memory");
        assert_eq!(memory.profiles, 3);
        assert_eq!(folded(memory, 0).get("main;alloc"), Some(&4), "objects in use: (2+4+6)/3");
        assert_eq!(folded(memory, 1).get("main;alloc"), Some(&300), "bytes in use: (100+300+500)/3");
        let cpu = taken.iter().find(|c| c.kind == "process_cpu").expect("cpu");
        assert_eq!(folded(cpu, 0).get("main;burn"), Some(&30), "CPU samples add up");
        assert_eq!(folded(cpu, 1).get("main;burn"), Some(&300));
    }
}
