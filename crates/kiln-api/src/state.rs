//! What every handler shares.

use std::sync::Arc;

use kiln_model::ingest::limits::Limits;

use crate::adhoc::AdhocStore;
use crate::auth::Authenticator;
use crate::decode_budget::DecodeBudget;
use crate::ingest::IngestSink;
use crate::ingest_rate::IngestRate;
use crate::metrics::Metrics;
use crate::query::QueryService;
use crate::series_limit::SeriesLimit;

/// The current time in Unix nanoseconds; injectable for tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Memory for decoding bodies in flight, by default.
pub const DEFAULT_DECODE_BUDGET_BYTES: usize = 512 << 20;

/// How long a request waits for its share of the decode budget.
pub const DEFAULT_DECODE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Clone)]
pub struct ApiState {
    pub sink: Arc<dyn IngestSink>,
    pub limits: Limits,
    /// Largest request body accepted, compressed or not, in bytes.
    pub body_limit: usize,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Memory for decoding bodies, shared by all requests.
    pub decode_budget: DecodeBudget,
    /// Each tenant's ingestion rate.
    pub ingest_rate: Arc<IngestRate>,
    /// Each tenant's active series.
    pub series_limit: Arc<SeriesLimit>,
    /// Answers `querier.v1.QuerierService`; its routes answer Connect's
    /// `unimplemented` without one.
    pub query: Option<Arc<dyn QueryService>>,
    /// Saved adhoc profiles; the adhoc routes answer `unimplemented`
    /// (Connect) or 404 (v0) without one.
    pub adhoc: Option<Arc<dyn AdhocStore>>,
    /// The credentials every route but the public ones checks; auth is off
    /// without one.
    pub auth: Option<Arc<Authenticator>>,
}

impl ApiState {
    /// State with Pyroscope's default limits and the system clock.
    pub fn new(sink: Arc<dyn IngestSink>) -> ApiState {
        ApiState {
            sink,
            limits: Limits::default(),
            body_limit: 256 << 20,
            metrics: Arc::new(Metrics::default()),
            clock: Arc::new(|| {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
            }),
            decode_budget: DecodeBudget::new(DEFAULT_DECODE_BUDGET_BYTES, DEFAULT_DECODE_WAIT),
            ingest_rate: Arc::new(IngestRate::new(0, 0)),
            series_limit: Arc::new(SeriesLimit::new(0)),
            query: None,
            adhoc: None,
            auth: None,
        }
    }

    /// How far one profile (or all fields of one form) may inflate: the
    /// profile size limit, or the body limit when that is off (0).
    pub fn decode_limit(&self) -> usize {
        match self.limits.max_profile_size_bytes {
            0 => self.body_limit,
            n => n.min(self.body_limit),
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
