//! Counters behind `/metrics`, in the Prometheus text format: ingested
//! profiles and bytes per tenant and format, rejects by reason, request
//! latency per route; and what other parts of the server count (the
//! store's damaged objects), appended by the sources they add.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Latency histogram buckets in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Appends metrics kept elsewhere to the exposition, `# HELP` and
/// `# TYPE` lines included.
pub type MetricsSource = Arc<dyn Fn(&mut String) + Send + Sync>;

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    sources: Mutex<Vec<MetricsSource>>,
}

#[derive(Default)]
struct Inner {
    profiles: BTreeMap<(String, String), u64>,
    bytes: BTreeMap<(String, String), u64>,
    rejects: BTreeMap<String, u64>,
    latency: BTreeMap<String, ([u64; BUCKETS.len()], u64, f64)>,
}

impl Metrics {
    pub fn ingested(&self, tenant: &str, format: &str, profiles: u64, bytes: u64) {
        let mut m = self.inner.lock().expect("metrics lock");
        let key = (tenant.to_owned(), format.to_owned());
        *m.profiles.entry(key.clone()).or_default() += profiles;
        *m.bytes.entry(key).or_default() += bytes;
    }

    /// Adds a source whose metrics every exposition ends with.
    pub fn add_source(&self, source: MetricsSource) {
        self.sources.lock().expect("metrics sources lock").push(source);
    }

    pub fn rejected(&self, reason: &str) {
        *self.inner.lock().expect("metrics lock").rejects.entry(reason.to_owned()).or_default() += 1;
    }

    pub fn observe(&self, route: &str, took: Duration) {
        let mut m = self.inner.lock().expect("metrics lock");
        let e = m.latency.entry(route.to_owned()).or_insert(([0; BUCKETS.len()], 0, 0.0));
        let s = took.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                e.0[i] += 1;
            }
        }
        e.1 += 1;
        e.2 += s;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let m = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str("# HELP kiln_ingested_profiles_total Profiles accepted, by tenant and format.\n# TYPE kiln_ingested_profiles_total counter\n");
        for ((t, f), v) in &m.profiles {
            let _ = writeln!(out, "kiln_ingested_profiles_total{{tenant=\"{}\",format=\"{}\"}} {v}", esc(t), esc(f));
        }
        out.push_str("# HELP kiln_ingested_bytes_total Request body bytes accepted, by tenant and format.\n# TYPE kiln_ingested_bytes_total counter\n");
        for ((t, f), v) in &m.bytes {
            let _ = writeln!(out, "kiln_ingested_bytes_total{{tenant=\"{}\",format=\"{}\"}} {v}", esc(t), esc(f));
        }
        out.push_str("# HELP kiln_rejected_requests_total Requests refused, by reason.\n# TYPE kiln_rejected_requests_total counter\n");
        for (r, v) in &m.rejects {
            let _ = writeln!(out, "kiln_rejected_requests_total{{reason=\"{}\"}} {v}", esc(r));
        }
        out.push_str("# HELP kiln_request_duration_seconds Request latency by route.\n# TYPE kiln_request_duration_seconds histogram\n");
        for (route, (buckets, count, sum)) in &m.latency {
            let route = esc(route);
            for (b, c) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(out, "kiln_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}");
            }
            let _ = writeln!(out, "kiln_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "kiln_request_duration_seconds_sum{{route=\"{route}\"}} {sum}");
            let _ = writeln!(out, "kiln_request_duration_seconds_count{{route=\"{route}\"}} {count}");
        }
        drop(m);
        for source in self.sources.lock().expect("metrics sources lock").iter() {
            source(&mut out);
        }
        out
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
