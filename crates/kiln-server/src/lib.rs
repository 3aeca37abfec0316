//! `kiln-server`: what `kiln server` runs. Configuration (defaults < TOML
//! < `KILN_*` environment < flags), the storage engine on the data
//! directory, the API over it (and over the adhoc profiles in
//! `<data_dir>/adhoc`), graceful shutdown. No business logic.

mod adhoc;
mod config;
mod error;
mod query;
mod server;
mod sink;
mod staging;

pub use config::{new_token, new_user, Config, TokenEntry, UserEntry};
pub use error::ServerError;
pub use query::StoreQuery;
pub use server::{start, Running};
