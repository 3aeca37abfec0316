//! The service the API writes to: a trait, so the router is tested
//! without a store, and `kiln-server` plugs the storage engine in.

use std::sync::Arc;

use futures::future::BoxFuture;
use kiln_model::Profile;

/// A series' labels (sorted by name) and the sample type it carries.
pub type SeriesRef = (Vec<(String, String)>, usize);

/// One profile ready to store: shared by its series, each a sample type of
/// it with its full label set (sorted by name).
#[derive(Debug, Clone)]
pub struct Ingested {
    pub id: u128,
    pub time_nanos: i64,
    pub duration_nanos: i64,
    pub profile: Arc<Profile>,
    pub series: Vec<SeriesRef>,
}

/// Where accepted profiles go.
pub trait IngestSink: Send + Sync {
    /// Stores the profiles; returns once they are durable. An error means
    /// none of them is acknowledged; its kind decides the HTTP status.
    fn ingest<'a>(&'a self, tenant: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>>;

    /// True once the sink can accept writes.
    fn ready(&self) -> bool {
        true
    }
}

/// Why a sink refused a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    pub kind: SinkErrorKind,
    pub message: String,
}

/// What the client can do about a refused write; `ApiError` maps each kind
/// to a status (`error.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkErrorKind {
    /// The sink cannot take writes now (shutting down, storage failing or
    /// holding back): 503, worth retrying.
    Unavailable,
    /// The write is too large for the sink: 413.
    TooLarge,
    /// The write names something invalid (e.g. a tenant): 400.
    InvalidArgument,
    /// The sink failed in a way it did not expect: 500.
    Internal,
}

impl SinkError {
    pub fn new(kind: SinkErrorKind, message: impl Into<String>) -> Self {
        SinkError { kind, message: message.into() }
    }
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SinkError {}
