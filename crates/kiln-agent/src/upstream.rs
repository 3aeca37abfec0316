//! Upstreams that bring profiles to a `kiln adhoc` run besides the spies:
//! push (a program's Pyroscope SDK sends to a loopback ingest endpoint,
//! [`PushEndpoint`] into a [`PushCollector`]) and pull (a pprof endpoint is
//! scraped, [`PprofEndpoint`], in windows merged by [`pull`]).

mod pull;
mod push_collector;
mod push_endpoint;
mod scrape;

pub use pull::{pull, PullOptions, PullWatch, Pulled};
pub use push_collector::{Collected, InFlight, PushCollector};
pub use push_endpoint::PushEndpoint;
pub use scrape::PprofEndpoint;
