//! `kiln agent`: one process per host that collects profiles continuously
//! and ships them to a server. [`AgentConfig`] is its configuration file;
//! [`run_agent`] runs its jobs: scrape jobs (`[[scrape_configs]]`, Go
//! pprof endpoints found statically or through file_sd), each shipping
//! through its own bounded [`Shipper`](crate::upstream::Shipper) and
//! counting into the agent's `/metrics`.

mod config;
mod delta;
mod endpoint;
mod file_sd;
mod metrics;
mod prepare;
mod profile_kind;
mod run;
mod scrape_job;
mod target;

pub use config::{AgentConfig, AgentSection, BasicAuth, FileSdConfig, ScrapeConfig, ServerConfig, StaticConfig};
pub use metrics::{AgentMetrics, JobCounters};
pub use profile_kind::ProfileKind;
pub use run::{run_agent, AgentOutcome};
