//! The write routes: legacy `/ingest` (every body format), Push over
//! Connect and gRPC, OTLP profiles; what they hand the [`IngestSink`].

mod admission;
pub(crate) mod legacy;
mod legacy_formats;
mod legacy_request;
mod multipart;
pub(crate) mod otlp;
pub(crate) mod push;
mod series;
mod sink;

pub use sink::{IngestSink, Ingested, SeriesRef, SinkError, SinkErrorKind};
