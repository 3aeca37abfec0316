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
mod redact;
mod serve;
mod server;
mod sink;
mod staging;
mod store_metrics;

pub use config::{new_token, new_user, Config, Connections, Role, Storage, TokenEntry, UserEntry};
pub use error::ServerError;
pub use query::{QueryLimits, StoreQuery};
pub use server::{start, Running};
