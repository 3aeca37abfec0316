//! What every handler shares.

use std::sync::Arc;

use kiln_model::ingest::limits::Limits;

use crate::adhoc::AdhocStore;
use crate::auth::Authenticator;
use crate::ingest::IngestSink;
use crate::metrics::Metrics;
use crate::query::QueryService;

/// The current time in Unix nanoseconds; injectable for tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Clone)]
pub struct ApiState {
    pub sink: Arc<dyn IngestSink>,
    pub limits: Limits,
    /// Largest request body accepted, compressed or not, in bytes.
    pub body_limit: usize,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
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
            query: None,
            adhoc: None,
            auth: None,
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
