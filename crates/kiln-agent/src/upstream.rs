//! Upstreams besides the spies. For `kiln adhoc`: push (a program's
//! Pyroscope SDK sends to a loopback ingest endpoint, [`PushEndpoint`] into a
//! [`PushCollector`]) and pull (a pprof endpoint is scraped,
//! [`PprofEndpoint`], in windows merged by [`pull`]). For `kiln exec` and
//! `kiln connect`: a server's Push API ([`PushClient`]), fed through a
//! bounded, retrying [`Shipper`].

mod pull;
mod push_buffer;
mod push_client;
mod push_collector;
mod push_endpoint;
mod scrape;
mod shipper;

pub use pull::{pull, PullOptions, PullWatch, Pulled};
pub use push_buffer::BufferLimits;
pub use push_client::{encode_push, Auth, PushClient, PushFailure};
pub use push_collector::{Collected, InFlight, PushCollector};
pub use push_endpoint::PushEndpoint;
pub use scrape::PprofEndpoint;
pub use shipper::{ShipQueue, ShipStats, Shipper};
