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
    /// none of them is acknowledged.
    fn ingest<'a>(&'a self, tenant: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), String>>;

    /// True once the sink can accept writes.
    fn ready(&self) -> bool {
        true
    }
}
