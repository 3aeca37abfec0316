//! The server-wide budget of memory for decoding request bodies. A
//! request reserves what its decode can take at most before it starts;
//! when the budget is spent it waits a moment, then is answered 429 with
//! `Retry-After` instead of pushing the process out of memory.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ApiErrorKind};

/// Permits count KiB, so a budget of terabytes still fits the semaphore.
const UNIT: usize = 1024;

#[derive(Clone)]
pub struct DecodeBudget {
    permits: Arc<Semaphore>,
    units: u32,
    wait: Duration,
}

/// What a decode holds while it runs; dropping it returns the bytes.
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl DecodeBudget {
    /// `bytes` of decoding in flight at most; a request waits up to `wait`
    /// for its share.
    pub fn new(bytes: usize, wait: Duration) -> DecodeBudget {
        let units = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).max(1);
        DecodeBudget { permits: Arc::new(Semaphore::new(units as usize)), units, wait }
    }

    /// The budget in bytes.
    pub fn bytes(&self) -> usize {
        self.units as usize * UNIT
    }

    /// Reserves `bytes` (the whole budget at most, so one huge request
    /// runs alone instead of never).
    pub async fn reserve(&self, bytes: usize) -> Result<Reservation, ApiError> {
        let units = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).clamp(1, self.units);
        let acquire = self.permits.clone().acquire_many_owned(units);
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(Reservation { _permit: permit }),
            _ => Err(ApiError::new(
                ApiErrorKind::Throttled { retry_after_secs: 1 },
                "decode_budget",
                format!(
                    "the server is decoding other requests up to its decode_budget_bytes ({}); retry in a second",
                    self.bytes()
                ),
            )),
        }
    }
}
