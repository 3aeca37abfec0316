//! `kiln agent --config agent.toml`: reads the configuration file and runs
//! `kiln-agent`'s agent until SIGINT or SIGTERM, then prints what each job
//! shipped.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kiln_agent::agent::{run_agent, AgentConfig};
use kiln_agent::{stop_requested, SignalForwarding};

#[derive(Args)]
pub struct AgentArgs {
    /// The configuration file (TOML: `[server]`, `[agent]`, `[[scrape_configs]]`).
    #[arg(long)]
    config: PathBuf,
}

pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config).with_context(|| format!("reading {}", args.config.display()))?;
    let config = AgentConfig::parse(&text).with_context(|| format!("in {}", args.config.display()))?;
    let _signals = SignalForwarding::install(0);
    let outcome = run_agent(config, stop_requested, |address| {
        eprintln!("kiln agent: /ready and /metrics listening on {address}");
    })?;
    for (job, shipped) in outcome.jobs {
        eprintln!("kiln agent: job {job:?}: pushed {}, dropped {}", shipped.pushed, shipped.dropped);
    }
    Ok(())
}
