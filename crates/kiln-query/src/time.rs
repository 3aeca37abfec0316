//! Time ranges: milliseconds in the API, nanoseconds in the store. This is
//! the one place that converts between them.

use kiln_store::TimeRange;

use crate::error::{QueryError, Result};

const NANOS_PER_MS: i64 = 1_000_000;

/// Range bounds are clamped to `[0, MAX_MS]` (2^62 ns, year 2116), so a
/// difference of two bounds plus a step of at most `MAX_MS` fits an i64
/// in the store's arithmetic.
pub(crate) const MAX_MS: i64 = (1 << 62) / NANOS_PER_MS;

/// An inclusive range of Unix milliseconds, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRangeMs {
    pub start: i64,
    pub end: i64,
}

impl TimeRangeMs {
    /// A range from API values; `end` before `start` is `InvalidArgument`.
    pub fn new(start: i64, end: i64) -> Result<TimeRangeMs> {
        if end < start {
            return Err(QueryError::invalid(format!("invalid time range: end {end} is before start {start}")));
        }
        Ok(TimeRangeMs { start, end })
    }

    /// Every time the store can hold.
    pub fn all() -> TimeRangeMs {
        TimeRangeMs { start: 0, end: MAX_MS }
    }

    /// The store's range: `[start ms, end ms]` in nanoseconds, both
    /// inclusive, as Pyroscope compares profile nanos with `start*1e6` and
    /// `end*1e6`. Bounds before 1970 or after 2116 are clamped.
    pub fn to_store(self) -> TimeRange {
        TimeRange { start: ms_to_nanos(self.start), end: ms_to_nanos(self.end) }
    }
}

/// Milliseconds to nanoseconds, clamped to `[0, 2^62]` ns.
pub(crate) fn ms_to_nanos(ms: i64) -> i64 {
    ms.clamp(0, MAX_MS) * NANOS_PER_MS
}

/// Nanoseconds to milliseconds, rounding down (Go's `TimeFromUnixNano`).
pub(crate) fn nanos_to_ms(nanos: i64) -> i64 {
    nanos.div_euclid(NANOS_PER_MS)
}
