//! The storage engine as the API's ingest sink.

use futures::future::BoxFuture;
use kiln_api::{IngestSink, Ingested, SinkError, SinkErrorKind};
use kiln_store::{ErrorKind, IngestProfile, IngestSeries, Store};

use crate::config::Role;
use crate::redact::without_paths;

pub struct StoreSink(pub Store);

impl IngestSink for StoreSink {
    fn ingest<'a>(&'a self, tenant: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        let batch: Vec<IngestProfile> = profiles
            .into_iter()
            .map(|p| IngestProfile {
                id: p.id,
                time_nanos: p.time_nanos,
                duration_nanos: p.duration_nanos,
                profile: p.profile,
                series: p
                    .series
                    .into_iter()
                    .map(|(labels, sample_type)| IngestSeries { labels, sample_type })
                    .collect(),
            })
            .collect();
        Box::pin(async move { self.0.ingest(tenant, batch).await.map_err(sink_error) })
    }
}

/// The sink of a node that does not ingest (querier, compactor): every
/// write is refused with 503 and where to send it instead.
pub struct RefusingSink(pub Role);

impl IngestSink for RefusingSink {
    fn ingest<'a>(&'a self, _tenant: &'a str, _profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        let message =
            format!("this node runs as {}: send profiles to an ingester (or a node of role all)", self.0.name());
        Box::pin(async move { Err(SinkError::new(SinkErrorKind::Unavailable, message)) })
    }
}

/// What a store failure means to the client: a failing object store or a
/// store shutting down is worth retrying (503); damage is ours (500). The
/// client never sees a file system path: the log has the whole message.
fn sink_error(e: kiln_store::Error) -> SinkError {
    let kind = match e.kind {
        ErrorKind::Storage | ErrorKind::Closed | ErrorKind::Gone => SinkErrorKind::Unavailable,
        ErrorKind::InvalidArgument => SinkErrorKind::InvalidArgument,
        ErrorKind::Corrupt | ErrorKind::UnsupportedVersion => SinkErrorKind::Internal,
    };
    let message = without_paths(&e.message);
    if message != e.message {
        tracing::warn!("ingest refused: {}", e.message);
    }
    SinkError::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_map_to_what_the_client_can_do() {
        let kind = |k| sink_error(kiln_store::Error::new(k, "m")).kind;
        assert_eq!(kind(ErrorKind::Storage), SinkErrorKind::Unavailable);
        assert_eq!(kind(ErrorKind::Closed), SinkErrorKind::Unavailable);
        assert_eq!(kind(ErrorKind::InvalidArgument), SinkErrorKind::InvalidArgument);
        assert_eq!(kind(ErrorKind::Corrupt), SinkErrorKind::Internal);
        assert_eq!(sink_error(kiln_store::Error::new(ErrorKind::UnsupportedVersion, "v9")).message, "v9");
    }

    #[test]
    fn unavailable_store_errors_never_show_the_data_path() {
        let e = kiln_store::Error::new(
            ErrorKind::Storage,
            "Unable to create dir /var/lib/kiln/store/blocks/%2528: File name too long (os error 36), url \"file:///var/lib/kiln/x\".",
        );
        let message = sink_error(e).message;
        assert!(!message.contains("/var/lib"), "{message}");
        assert_eq!(message, "Unable to create dir <path>: File name too long (os error 36), url \"<path>\".");
    }
}
