//! The write routes: legacy `/ingest` (every body format), Push over
//! Connect and gRPC, OTLP profiles; what they hand the [`IngestSink`].

pub(crate) mod legacy;
pub(crate) mod legacy_formats;
pub(crate) mod legacy_request;
pub(crate) mod multipart;
pub(crate) mod otlp;
pub(crate) mod push;
pub(crate) mod series;
pub(crate) mod sink;

pub use sink::{IngestSink, Ingested, SeriesRef};
