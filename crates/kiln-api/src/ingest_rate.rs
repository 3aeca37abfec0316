//! Each tenant's ingestion rate: a token bucket of body bytes per tenant
//! (`ingestion_rate_bytes` a second, holding `ingestion_burst_bytes` at
//! most), as Pyroscope's distributor limits tenants. A request over it is
//! answered 429 with the seconds after which it would pass.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{ApiError, ApiErrorKind};

/// Per-tenant token buckets; a rate of 0 admits everything.
pub struct IngestRate {
    bytes_per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl IngestRate {
    pub fn new(bytes_per_sec: u64, burst_bytes: u64) -> IngestRate {
        IngestRate { bytes_per_sec: bytes_per_sec as f64, burst: burst_bytes as f64, buckets: Mutex::default() }
    }

    /// Takes `bytes` from `tenant`'s bucket, or says when to retry.
    pub fn admit(&self, tenant: &str, bytes: usize) -> Result<(), ApiError> {
        if self.bytes_per_sec <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(tenant.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.bytes_per_sec).min(self.burst);
        bucket.at = now;
        let need = bytes as f64;
        if need <= bucket.tokens {
            bucket.tokens -= need;
            return Ok(());
        }
        Err(self.refusal(tenant, bytes, need - bucket.tokens))
    }

    fn refusal(&self, tenant: &str, bytes: usize, missing: f64) -> ApiError {
        let (rate, burst) = (self.bytes_per_sec, self.burst);
        if bytes as f64 > burst {
            return ApiError::new(
                ApiErrorKind::TooLarge,
                "rate_limited",
                format!("a body of {bytes} bytes is over tenant {tenant:?}'s ingestion_burst_bytes ({burst})"),
            );
        }
        let retry_after_secs = (missing / rate).ceil().max(1.0) as u64;
        ApiError::new(
            ApiErrorKind::Throttled { retry_after_secs },
            "rate_limited",
            format!(
                "tenant {tenant:?} is over its ingestion_rate_bytes ({rate} bytes/s, ingestion_burst_bytes {burst}); retry in {retry_after_secs} s"
            ),
        )
    }
}
