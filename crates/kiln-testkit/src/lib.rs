//! Test harness for Kiln's multi-process tests and benchmarks (a
//! dev-dependency only): [`GarageCluster`] starts a real replicated Garage
//! cluster, each node a `garage server` process on loopback, and hands back
//! an S3 endpoint, a bucket and credentials.
//!
//! The `garage` binary is the one `scripts/test.sh` installs with
//! `cargo install garage --locked --root ~/.cache/kiln/garage`; the
//! `KILN_GARAGE_BIN` variable names another.

mod error;
mod garage;
mod http_probe;

pub use error::Error;
pub use garage::{garage_bin, Credentials, GarageCluster, REGION};
pub use http_probe::http_get;
