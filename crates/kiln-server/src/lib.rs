//! `kiln-server`: what `kiln server` runs. Configuration (defaults < TOML
//! < `KILN_*` environment < flags), the storage engine on the data
//! directory, the API over it (and over the adhoc profiles in
//! `<data_dir>/adhoc`), the serving loop with its connection limits,
//! timeouts and TLS (`serve/`), graceful shutdown with a deadline. No
//! business logic.

mod adhoc;
mod config;
mod error;
mod fd_limit;
mod query;
mod serve;
mod server;
mod sink;
mod staging;
mod store_metrics;

pub use config::{Config, Connections};
pub use error::ServerError;
pub use query::StoreQuery;
pub use server::{start, Running};
