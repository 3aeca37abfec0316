//! The read routes over the [`QueryService`]: `querier.v1.QuerierService`
//! over Connect and gRPC, the legacy `/pyroscope/render*` routes, and v0's
//! `/render`, `/labels`, `/label-values` and `/api/apps`.

pub(crate) mod connect;
mod dot;
mod params;
mod querier;
pub(crate) mod render;
mod timeline;
pub(crate) mod v0;
pub(crate) mod v0_apps;

pub use querier::{Answer, QueryService};
