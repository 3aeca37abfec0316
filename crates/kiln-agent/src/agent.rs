//! `kiln agent`: one process per host that collects profiles continuously
//! and ships them to a server. [`AgentConfig`] is its configuration file;
//! [`run_agent`] runs its jobs: scrape jobs (`[[scrape_configs]]`, Go
//! pprof endpoints found statically or through file_sd), each shipping
//! through its own bounded [`Shipper`](crate::upstream::Shipper) and
//! counting into the agent's `/metrics`; process jobs
//! (`[[process_configs]]`, by pid, name or command line, through
//! [`crate::watch`]) and the whole host (`[host]`, through [`crate::host`]).

mod config;
mod delta;
mod endpoint;
mod file_sd;
mod host_job;
mod metrics;
mod prepare;
mod process_job;
mod profile_kind;
mod run;
mod scrape_job;
mod target;

pub use config::{AgentConfig, AgentSection, BasicAuth, FileSdConfig, ScrapeConfig, ServerConfig};
pub use host_job::HostConfig;
pub use metrics::{AgentMetrics, JobCounters};
pub use process_job::ProcessJobConfig;
pub use profile_kind::ProfileKind;
pub use run::{run_agent, AgentOutcome};
pub use target::TargetGroup;
