//! What one query may ask for (`max_query_range`, `max_query_nodes` of the
//! configuration); a request over a limit is refused naming it.

use std::time::Duration;

use kiln_model::flamegraph::DEFAULT_MAX_NODES;
use kiln_query::TimeRangeMs;

use super::{invalid, Result};
use crate::error::api_error;

/// Zero leaves a limit off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryLimits {
    pub max_query_range: Duration,
    pub max_query_nodes: i64,
}

impl QueryLimits {
    /// A request's `[start, end]` in ms: `end` before `start`, or a range
    /// longer than `max_query_range`, is refused.
    pub fn range(&self, start: i64, end: i64) -> Result<TimeRangeMs> {
        let range = TimeRangeMs::new(start, end).map_err(api_error)?;
        let max_ms = i64::try_from(self.max_query_range.as_millis()).unwrap_or(i64::MAX);
        if max_ms > 0 && end.saturating_sub(start) > max_ms {
            return Err(invalid(format!(
                "the time range is {} s long, over max_query_range ({} s)",
                end.saturating_sub(start) / 1000,
                max_ms / 1000
            )));
        }
        Ok(range)
    }

    /// A request's `max_nodes`: above `max_query_nodes` is refused, and
    /// unset asks for the default within the limit.
    pub fn max_nodes(&self, asked: Option<i64>) -> Result<Option<i64>> {
        let max = self.max_query_nodes;
        match asked.unwrap_or(0) {
            _ if max <= 0 => Ok(asked),
            0 => Ok(Some(DEFAULT_MAX_NODES.min(max))),
            n if n > max => Err(invalid(format!("max_nodes {n} is over max_query_nodes ({max})"))),
            _ => Ok(asked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_long_ranges_and_many_nodes_naming_the_key() {
        let limits = QueryLimits { max_query_range: Duration::from_secs(3600), max_query_nodes: 1000 };
        assert!(limits.range(0, 3_600_000).is_ok());
        let e = limits.range(0, 3_600_001).unwrap_err();
        assert!(e.message.contains("over max_query_range (3600 s)"), "{}", e.message);
        assert_eq!(limits.max_nodes(Some(1000)).unwrap(), Some(1000));
        assert_eq!(limits.max_nodes(None).unwrap(), Some(1000));
        assert!(limits.max_nodes(Some(1001)).unwrap_err().message.contains("max_query_nodes (1000)"));
        let off = QueryLimits::default();
        assert!(off.range(0, i64::MAX).is_ok());
        assert_eq!(off.max_nodes(Some(5_000_000)).unwrap(), Some(5_000_000));
    }
}
