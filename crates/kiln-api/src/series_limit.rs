//! Each tenant's active series: series written within the last hour, as
//! Pyroscope's ingesters count them for `max_global_series_per_tenant`.
//! A write that would add series past `max_series_per_tenant` is refused
//! whole, naming the limit; series the tenant already has stay writable.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ApiError, ApiErrorKind};
use crate::ingest::Ingested;

/// How long a series stays active after its last write.
pub const ACTIVE_FOR: Duration = Duration::from_secs(3600);

/// Active series per tenant, by a hash of their labels; a limit of 0
/// keeps nothing and admits everything.
pub struct SeriesLimit {
    max: usize,
    tenants: Mutex<HashMap<String, HashMap<u64, Instant>>>,
}

impl SeriesLimit {
    pub fn new(max_series_per_tenant: usize) -> SeriesLimit {
        SeriesLimit { max: max_series_per_tenant, tenants: Mutex::default() }
    }

    /// Records the series of `profiles` for `tenant`, or refuses them all
    /// when the new ones would pass the limit.
    pub fn admit(&self, tenant: &str, profiles: &[Ingested]) -> Result<(), ApiError> {
        if self.max == 0 {
            return Ok(());
        }
        let mut written: Vec<u64> = profiles.iter().flat_map(|p| &p.series).map(|(labels, _)| hash(labels)).collect();
        written.sort_unstable();
        written.dedup();
        let now = Instant::now();
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let active = tenants.entry(tenant.to_owned()).or_default();
        let new = written.iter().filter(|h| !active.contains_key(h)).count();
        if new > 0 && active.len() + new > self.max {
            active.retain(|_, seen| now.duration_since(*seen) < ACTIVE_FOR);
        }
        if new > 0 && active.len() + new > self.max {
            return Err(ApiError::new(
                ApiErrorKind::Rejected,
                "series_limit",
                format!(
                    "tenant {tenant:?} has {} active series; {new} more would pass max_series_per_tenant ({})",
                    active.len(),
                    self.max
                ),
            ));
        }
        active.extend(written.into_iter().map(|h| (h, now)));
        Ok(())
    }
}

fn hash(labels: &[(String, String)]) -> u64 {
    let mut h = DefaultHasher::new();
    labels.hash(&mut h);
    h.finish()
}
