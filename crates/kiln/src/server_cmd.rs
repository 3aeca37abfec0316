//! `kiln server`: runs the server until SIGINT or SIGTERM.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kiln_server::Config;

#[derive(Args)]
pub struct ServerArgs {
    /// TOML configuration file (keys as in `kiln_server::Config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 0.0.0.0:4040].
    #[arg(long)]
    listen: Option<String>,
    /// Data directory [default: $XDG_DATA_HOME/kiln or ~/.local/share/kiln].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Drop data older than this (e.g. 30d, 12h, 2w).
    #[arg(long)]
    retention_max_age: Option<String>,
    /// Drop the oldest data while the store is larger than this many bytes.
    #[arg(long)]
    retention_max_bytes: Option<u64>,
}

impl ServerArgs {
    fn flags(&self) -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        let mut set = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                f.insert(k.to_owned(), v);
            }
        };
        set("listen", self.listen.clone());
        set("data_dir", self.data_dir.as_ref().map(|d| d.display().to_string()));
        set("retention_max_age", self.retention_max_age.clone());
        set("retention_max_bytes", self.retention_max_bytes.map(|b| b.to_string()));
        f
    }
}

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).init();
    let file = args
        .config
        .as_ref()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .transpose()?;
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let config = Config::load(file.as_deref(), &env, &args.flags())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let running = kiln_server::start(config, &env, true).await?;
        running.wait().await
    })?;
    Ok(())
}
