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
    /// Keep the data in an object store: s3://BUCKET/PREFIX, gs://... or
    /// az://... [default: the data directory]. Credentials from the config
    /// file's [storage] table, KILN_STORAGE_* or the store's own AWS_*
    /// (GOOGLE_*, AZURE_*) variables.
    #[arg(long, value_name = "URL")]
    storage: Option<String>,
    /// Endpoint of an S3-compatible store (e.g. http://127.0.0.1:3900).
    #[arg(long, value_name = "URL")]
    storage_endpoint: Option<String>,
    #[arg(long, value_name = "REGION")]
    storage_region: Option<String>,
    /// Path-style S3 requests (Garage, MinIO).
    #[arg(long)]
    storage_path_style: bool,
    /// What this process does: all, ingester, querier or compactor
    /// [default: all].
    #[arg(long)]
    role: Option<String>,
    /// This node's name in block ids and the compactor lease [default: the
    /// host name].
    #[arg(long)]
    node_id: Option<String>,
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
        set("storage_url", self.storage.clone());
        set("storage_endpoint", self.storage_endpoint.clone());
        set("storage_region", self.storage_region.clone());
        set("storage_path_style", self.storage_path_style.then(|| "true".to_owned()));
        set("role", self.role.clone());
        set("node_id", self.node_id.clone());
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
