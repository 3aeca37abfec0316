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
//! `/explore`, ..., its modules under `/assets/`). Every error is one [`ApiError`]
//! mapped to HTTP in one place.

mod adhoc;
mod blocking;
mod connect;
mod error;
mod health;
mod ingest;
mod metrics;
mod query;
mod request;
mod response;
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

use axum::routing::{get, post};
use axum::Router;

pub use adhoc::{display_name, valid_id, AdhocFile, AdhocStore};
pub use error::{ApiError, ApiErrorKind};
pub use ingest::{IngestSink, Ingested, SeriesRef, SinkError, SinkErrorKind};
pub use metrics::Metrics;
pub use query::{Answer, QueryService};
pub use request::{DEFAULT_TENANT, TENANT_HEADER};
pub use state::{ApiState, Clock};

/// Every route of the API over the given state.
pub fn router(state: ApiState) -> Router {
    let unoffered =
        connect::UNOFFERED.iter().fold(Router::new(), |r, path| r.route(path, post(connect::unimplemented)));
    Router::new()
        .route("/ingest", post(ingest::legacy::ingest))
        .route("/pyroscope/ingest", post(ingest::legacy::ingest))
        .route("/push.v1.PusherService/Push", post(ingest::push::push))
        .route("/v1development/profiles", post(ingest::otlp::export))
        .route(
            "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
            post(ingest::otlp::export),
        )
        .route("/querier.v1.QuerierService/{method}", post(query::connect::serve))
        .route("/adhocprofiles.v1.AdHocProfileService/{method}", post(adhoc::connect::serve))
        .merge(unoffered)
        .route("/pyroscope/render", get(query::render::render))
        .route("/pyroscope/render-diff", get(query::render::render_diff))
        .route("/pyroscope/label-values", get(query::render::label_values))
        .route("/render", get(query::v0::render))
        .route("/render-diff", get(query::v0::render_diff))
        .route("/labels", get(query::v0::labels))
        .route("/label-values", get(query::v0::label_values))
        .route("/api/apps", get(query::v0_apps::apps))
        .route("/api/adhoc/v1/profiles", get(adhoc::v0::profiles))
        .route("/api/adhoc/v1/profile/{id}", get(adhoc::v0::profile))
        .route("/api/adhoc/v1/diff/{left}/{right}", get(adhoc::v0::diff))
        .route("/ready", get(health::ready))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .merge(ui::routes())
        .with_state(state)
}
