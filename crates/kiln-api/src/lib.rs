//! `kiln-api`: Kiln's HTTP surface as `fn router(state) -> Router`, over
//! service traits ([`IngestSink`]) so it is tested without sockets.
//!
//! Routes: legacy `POST /ingest` and `/pyroscope/ingest`, the Push API
//! (Connect and gRPC), OTLP profiles (HTTP and gRPC), the querier
//! `querier.v1.QuerierService` (Connect and gRPC), the legacy render API
//! (`/pyroscope/render`, `-diff`, `/pyroscope/label-values`; v0's `/render`,
//! `/render-diff`, `/labels`, `/label-values`, `/api/apps`), adhoc profiles
//! (`adhocprofiles.v1.AdHocProfileService` over Connect and gRPC, v0's
//! `/api/adhoc/v1/...`), `/ready`, `/healthz`, `/metrics`, and the web UI (its page on `/`,
//! `/explore`, ..., its modules under `/assets/`), all listed in one table
//! ([`routes`]) with what each needs when authentication ([`auth`]) is on.
//! Every error is one [`ApiError`] mapped to HTTP in one place.

mod adhoc;
pub mod auth;
mod blocking;
mod compression;
mod connect;
mod decode_budget;
mod error;
mod health;
mod ingest;
mod ingest_rate;
mod metrics;
mod query;
mod request;
mod response;
mod routes;
mod series_limit;
mod state;
mod ui;

/// Types generated from `proto/`.
pub mod pb {
    pub mod push {
        include!(concat!(env!("OUT_DIR"), "/push.v1.rs"));
    }
    /// `querier.v1`: the querier service's messages (flame graphs are
    /// `kiln_model::pb::querier::v1`'s).
    pub mod querier {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/querier.v1.rs"));
        }
    }
    /// `adhocprofiles.v1`: the adhoc profile service's messages.
    pub mod adhocprofiles {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/adhocprofiles.v1.rs"));
        }
    }
    /// `types.v1`: labels, profile types, series and points.
    pub mod types {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/types.v1.rs"));
        }
    }
}

use std::sync::Arc;

use axum::Router;

pub use adhoc::{display_name, valid_id, AdhocFile, AdhocStore};
pub use decode_budget::DecodeBudget;
pub use error::{ApiError, ApiErrorKind};
pub use ingest::{IngestSink, Ingested, SeriesRef, SinkError, SinkErrorKind};
pub use ingest_rate::IngestRate;
pub use metrics::{Metrics, MetricsSource};
pub use query::{Answer, QueryService};
pub use request::{DEFAULT_TENANT, TENANT_HEADER};
pub use routes::{routes, Route};
pub use series_limit::SeriesLimit;
pub use state::{ApiState, Clock, DEFAULT_DECODE_BUDGET_BYTES, DEFAULT_DECODE_WAIT};

/// Every route of the API over the given state (the table in
/// `routes.rs`), behind the auth check when the state has an
/// authenticator, with JSON and text answers gzipped for clients that ask
/// (`compression.rs`).
pub fn router(state: ApiState) -> Router {
    let table = routes::table();
    let access = table.iter().map(|(route, _)| (route.path, route.access)).collect();
    let guard = state.auth.clone().map(|auth| auth::layer::Guard { auth, access, metrics: state.metrics.clone() });
    let app =
        table.into_iter().fold(Router::new(), |r, (route, handler)| r.route(route.path, handler)).with_state(state);
    let app = match guard {
        Some(guard) => app.layer(axum::middleware::from_fn_with_state(Arc::new(guard), auth::layer::check)),
        None => app,
    };
    app.layer(axum::middleware::from_fn(compression::compress))
}
