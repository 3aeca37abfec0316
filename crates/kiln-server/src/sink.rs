//! The storage engine as the API's ingest sink.

use futures::future::BoxFuture;
use kiln_api::{IngestSink, Ingested};
use kiln_store::{IngestProfile, IngestSeries, Store};

pub struct StoreSink(pub Store);

impl IngestSink for StoreSink {
    fn ingest<'a>(&'a self, tenant: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), String>> {
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
        Box::pin(async move { self.0.ingest(tenant, &batch).await.map_err(|e| e.to_string()) })
    }
}
