//! The agent's own counters, served on `/metrics` in the Prometheus text
//! format, one series per job: profiles and samples taken, failed
//! collections (a scrape that failed, a spy that could not start), targets,
//! and from the job's [`ShipQueue`] the profiles pushed, the failed push
//! attempts and the profiles dropped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::upstream::{ShipQueue, ShipStats};

/// How a metric family reads its value from a job's counters and shipping.
type Reading = dyn Fn(&JobCounters, &ShipStats) -> u64;

/// What one job counts as it runs.
#[derive(Debug, Default)]
pub struct JobCounters {
    profiles: AtomicU64,
    samples: AtomicU64,
    failures: AtomicU64,
    targets: AtomicU64,
}

impl JobCounters {
    /// A profile was taken, with `samples` samples.
    pub fn taken(&self, samples: u64) {
        self.profiles.fetch_add(1, Ordering::Relaxed);
        self.samples.fetch_add(samples, Ordering::Relaxed);
    }

    /// A collection (a scrape, a spy) failed.
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// How many targets (endpoints, processes) the job has now.
    pub fn set_targets(&self, n: usize) {
        self.targets.store(n as u64, Ordering::Relaxed);
    }
}

/// Every job's counters, by job name.
#[derive(Default)]
pub struct AgentMetrics {
    jobs: Mutex<Vec<(String, Arc<JobCounters>, ShipQueue)>>,
}

impl AgentMetrics {
    /// Adds a job shipping through `queue`; returns the counters it updates.
    pub fn register(&self, job: &str, queue: ShipQueue) -> Arc<JobCounters> {
        let counters = Arc::new(JobCounters::default());
        self.jobs.lock().expect("metrics lock").push((job.to_owned(), Arc::clone(&counters), queue));
        counters
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let jobs = self.jobs.lock().expect("metrics lock");
        let rows: Vec<(&str, &JobCounters, ShipStats)> =
            jobs.iter().map(|(name, counters, queue)| (name.as_str(), &**counters, queue.stats())).collect();
        let families: [(&str, &str, &str, &Reading); 7] = [
            ("kiln_agent_profiles_taken_total", "counter", "Profiles taken (scraped or sampled).", &|c, _| {
                load(&c.profiles)
            }),
            ("kiln_agent_samples_taken_total", "counter", "Samples in the profiles taken.", &|c, _| load(&c.samples)),
            ("kiln_agent_collect_failures_total", "counter", "Scrapes or spies that failed.", &|c, _| {
                load(&c.failures)
            }),
            ("kiln_agent_targets", "gauge", "Targets the job collects from now.", &|c, _| load(&c.targets)),
            ("kiln_agent_profiles_pushed_total", "counter", "Profiles the server accepted.", &|_, s| s.pushed),
            ("kiln_agent_push_failures_total", "counter", "Push attempts that failed and were retried.", &|_, s| {
                s.failed
            }),
            (
                "kiln_agent_profiles_dropped_total",
                "counter",
                "Profiles dropped: buffer full, refused or unsent.",
                &|_, s| s.dropped,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in families {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (job, counters, stats) in &rows {
                let _ = writeln!(out, "{name}{{job=\"{}\"}} {}", escape(job), value(counters, stats));
            }
        }
        out
    }
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// A label value as the text format writes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Url;
    use crate::upstream::{BufferLimits, PushClient, Shipper};

    #[test]
    fn each_job_has_its_own_series_of_every_counter() {
        let client = PushClient::new(Url::parse("127.0.0.1:9").unwrap(), None, None);
        let limits = BufferLimits { max_profiles: 1, max_bytes: 1 << 20 };
        let shipper = Shipper::start(client, limits).unwrap();
        let metrics = AgentMetrics::default();
        let a = metrics.register("go \"apps\"", shipper.queue());
        let b = metrics.register("other", shipper.queue());
        a.taken(10);
        a.taken(5);
        a.failed();
        b.set_targets(3);
        let text = metrics.render();
        assert!(text.contains("kiln_agent_profiles_taken_total{job=\"go \\\"apps\\\"\"} 2\n"), "{text}");
        assert!(text.contains("kiln_agent_samples_taken_total{job=\"go \\\"apps\\\"\"} 15\n"), "{text}");
        assert!(text.contains("kiln_agent_collect_failures_total{job=\"other\"} 0\n"), "{text}");
        assert!(text.contains("# TYPE kiln_agent_targets gauge\nkiln_agent_targets{job=\"go \\\"apps\\\"\"} 0\n"));
        assert!(text.contains("kiln_agent_targets{job=\"other\"} 3\n"), "{text}");
        assert!(text.contains("kiln_agent_profiles_dropped_total{job=\"other\"} 0\n"), "{text}");
        drop(shipper);
    }
}
