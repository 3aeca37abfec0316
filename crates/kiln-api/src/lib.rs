//! `kiln-api`: Kiln's HTTP surface as `fn router(state) -> Router`, over
//! service traits ([`IngestSink`]) so it is tested without sockets.
//!
//! Routes: legacy `POST /ingest` and `/pyroscope/ingest`, the Push API
//! (Connect and gRPC), OTLP profiles (HTTP and gRPC), `/ready`, `/healthz`,
//! `/metrics`. Every error is one [`ApiError`]
//! mapped to HTTP in one place.

mod error;
mod grpc;
mod health;
mod legacy;
mod legacy_formats;
mod metrics;
mod multipart;
mod otlp;
mod push;
mod request;
mod series;
mod sink;
mod state;

/// Types generated from `proto/`.
pub mod pb {
    pub mod push {
        include!(concat!(env!("OUT_DIR"), "/push.v1.rs"));
    }
}

use axum::routing::{get, post};
use axum::Router;

pub use error::{ApiError, ApiErrorKind};
pub use metrics::Metrics;
pub use request::{DEFAULT_TENANT, TENANT_HEADER};
pub use sink::{IngestSink, Ingested, SeriesRef};
pub use state::{ApiState, Clock};

/// Every route of the API over the given state.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/ingest", post(legacy::ingest))
        .route("/pyroscope/ingest", post(legacy::ingest))
        .route("/push.v1.PusherService/Push", post(push::push))
        .route("/v1development/profiles", post(otlp::export))
        .route("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", post(otlp::export))
        .route("/ready", get(health::ready))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .with_state(state)
}
