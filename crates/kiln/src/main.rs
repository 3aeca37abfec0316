//! `kiln`: the one binary. Arguments become each crate's options, then one
//! library call.

mod adhoc_cmd;
mod agent_cmd;
mod convert_cmd;
mod diff_cmd;
mod exec_cmd;
mod query_cmd;
mod server_cmd;
mod token_cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "kiln", version, about = "Continuous profiling: flame graphs for every process, now and in the past")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Profile a command (`-- CMD ARGS...`), a running process (`--pid`), an app pushing with a Pyroscope SDK
    /// (`--push -- CMD`) or a pprof endpoint (`--url`), and write flame graph reports.
    Adhoc(adhoc_cmd::AdhocArgs),
    /// Run the agent of a host: scrape pprof endpoints (static and file_sd targets) and push to a server.
    Agent(agent_cmd::AgentArgs),
    /// Profile a running process continuously, pushing a profile to a server every upload interval.
    Connect(exec_cmd::ConnectArgs),
    /// Convert a profile between formats (input format detected from content).
    Convert(convert_cmd::ConvertArgs),
    /// Compare two profiles: a diff flame graph report and a regression gate (`--fail-above`).
    Diff(diff_cmd::DiffArgs),
    /// Run a command and profile it continuously, pushing a profile to a server every upload interval.
    Exec(exec_cmd::ExecArgs),
    /// Query a running server: merge profiles, series, labels (like profilecli).
    Query(query_cmd::QueryArgs),
    /// Run the server: ingest from Pyroscope SDKs and agents on port 4040.
    Server(server_cmd::ServerArgs),
    /// Make API tokens and Basic users for a server with authentication on.
    Token(token_cmd::TokenArgs),
}

/// A duration flag in kiln's one grammar (`500ms`, `30s`, `1.5m`, `2h`, `30d`).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    kiln_model::duration::parse(s).map_err(|e| e.message)
}

fn main() -> anyhow::Result<()> {
    kiln_store::limit_malloc_arenas();
    match Cli::parse().command {
        Command::Adhoc(args) => std::process::exit(adhoc_cmd::run(args)?),
        Command::Agent(args) => agent_cmd::run(args),
        Command::Connect(args) => std::process::exit(exec_cmd::connect(args)?),
        Command::Convert(args) => convert_cmd::run(args),
        Command::Diff(args) => std::process::exit(diff_cmd::run(args)?),
        Command::Exec(args) => std::process::exit(exec_cmd::exec(args)?),
        Command::Query(args) => query_cmd::run(args),
        Command::Server(args) => server_cmd::run(args),
        Command::Token(args) => token_cmd::run(args),
    }
}
