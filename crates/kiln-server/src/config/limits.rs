//! The limits of the configuration that protect the server from its
//! clients (issue 15): the memory decoding may hold, each tenant's
//! ingestion rate, and what one query may ask for; and how they reach the
//! API and the querier.

use std::sync::Arc;
use std::time::Duration;

use kiln_api::{ApiState, DecodeBudget, IngestRate, SeriesLimit, DEFAULT_DECODE_BUDGET_BYTES, DEFAULT_DECODE_WAIT};

use super::Config;
use crate::query::QueryLimits;

/// Defaults of the keys this file owns.
pub const DECODE_BUDGET_BYTES: usize = DEFAULT_DECODE_BUDGET_BYTES;
pub const DECODE_WAIT: Duration = DEFAULT_DECODE_WAIT;

impl Config {
    /// The decode budget, the tenants' ingestion rate and series limit,
    /// into the API.
    pub(crate) fn apply_limits(&self, state: &mut ApiState) {
        state.decode_budget = DecodeBudget::new(self.decode_budget_bytes, self.decode_wait);
        state.ingest_rate = Arc::new(IngestRate::new(self.ingestion_rate_bytes, self.ingestion_burst_bytes));
        state.series_limit = Arc::new(SeriesLimit::new(self.max_series_per_tenant));
    }

    /// What one query may ask for.
    pub(crate) fn query_limits(&self) -> QueryLimits {
        QueryLimits { max_query_range: self.max_query_range, max_query_nodes: self.max_query_nodes }
    }
}
