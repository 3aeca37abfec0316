//! Counters behind `/metrics`, in the Prometheus text format: ingested
//! profiles and bytes per tenant and format, rejects by reason, sample
//! values clamped, request latency per route; and what other parts of the
//! server count (the store's damaged objects), appended by the sources
//! they add.

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
    clamped: u64,
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

    /// Sample values clamped because they were too large to sum.
    pub fn clamped(&self, values: u64) {
        self.inner.lock().expect("metrics lock").clamped += values;
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

    /// The Prometheus text exposition; without `per_tenant`, ingestion is
    /// summed over tenants and no tenant is named.
    pub fn render(&self, per_tenant: bool) -> String {
        let m = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str("# HELP kiln_ingested_profiles_total Profiles accepted, by tenant and format.\n# TYPE kiln_ingested_profiles_total counter\n");
        for (labels, v) in by_format(&m.profiles, per_tenant) {
            let _ = writeln!(out, "kiln_ingested_profiles_total{{{labels}}} {v}");
        }
        out.push_str("# HELP kiln_ingested_bytes_total Request body bytes accepted, by tenant and format.\n# TYPE kiln_ingested_bytes_total counter\n");
        for (labels, v) in by_format(&m.bytes, per_tenant) {
            let _ = writeln!(out, "kiln_ingested_bytes_total{{{labels}}} {v}");
        }
        out.push_str("# HELP kiln_rejected_requests_total Requests refused, by reason.\n# TYPE kiln_rejected_requests_total counter\n");
        for (r, v) in &m.rejects {
            let _ = writeln!(out, "kiln_rejected_requests_total{{reason=\"{}\"}} {v}", esc(r));
        }
        out.push_str("# HELP kiln_clamped_sample_values_total Sample values too large to sum, clamped at ingestion.\n# TYPE kiln_clamped_sample_values_total counter\n");
        let _ = writeln!(out, "kiln_clamped_sample_values_total {}", m.clamped);
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

/// Counters by (tenant, format) as label text and value: one line per
/// pair, or per format summed over tenants.
fn by_format(counters: &BTreeMap<(String, String), u64>, per_tenant: bool) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for ((t, f), v) in counters {
        let labels = if per_tenant {
            format!("tenant=\"{}\",format=\"{}\"", esc(t), esc(f))
        } else {
            format!("format=\"{}\"", esc(f))
        };
        *out.entry(labels).or_default() += v;
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
