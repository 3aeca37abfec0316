//! Wiring: the store on the data directory, the API over it, the serving
//! loop on the listener (`serve/`), and a graceful shutdown that flushes
//! before exiting.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use kiln_api::auth::Authenticator;
use kiln_api::{router, ApiState};
use kiln_store::remote::{is_remote_url, object_store_from_url};
use kiln_store::{LeaseConfig, Store, StoreConfig};
use object_store::local::LocalFileSystem;
use object_store::ObjectStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::adhoc::{AdhocDir, AdhocLimits};
use crate::config::{Config, Role};
use crate::error::ServerError;
use crate::fd_limit::{connection_capacity, raise_open_file_limit};
use crate::query::StoreQuery;
use crate::serve::{serve, tls_acceptor, Serving};
use crate::sink::{RefusingSink, StoreSink};
use crate::store_metrics::store_metrics;

/// A started server: where it listens and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub data_dir: std::path::PathBuf,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl Running {
    /// Stops accepting, finishes requests in flight, flushes the store.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.done.await.map_err(|e| ServerError::Io(std::io::Error::other(e)))?
    }

    /// Waits until the server stops by itself (a signal).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.done.await.map_err(|e| ServerError::Io(std::io::Error::other(e)))?
    }
}

fn api_state(config: &Config, store: Store, adhoc: AdhocDir, auth: Option<Authenticator>) -> ApiState {
    let sink: Arc<dyn kiln_api::IngestSink> = match config.role.ingests() {
        true => Arc::new(StoreSink(store.clone())),
        false => Arc::new(RefusingSink(config.role)),
    };
    let mut state = ApiState::new(sink);
    state.auth = auth.map(Arc::new);
    state.metrics.add_source(store_metrics(store.clone()));
    if config.role.queries() {
        state.query = Some(Arc::new(StoreQuery(store, config.query_limits())));
    }
    state.adhoc = Some(Arc::new(adhoc));
    state.body_limit = config.max_body_bytes;
    let l = &mut state.limits;
    l.ingestion_body_limit_bytes = config.max_body_bytes;
    l.max_profile_size_bytes = config.max_profile_size_bytes;
    l.max_profile_stacktrace_samples = config.max_samples_per_profile;
    l.max_label_names_per_series = config.max_label_names_per_series;
    l.max_label_name_length = config.max_label_name_length;
    l.max_label_value_length = config.max_label_value_length;
    l.reject_older_than_nanos = config.reject_older_than.as_nanos() as i64;
    l.reject_newer_than_nanos = config.reject_newer_than.as_nanos() as i64;
    config.apply_limits(&mut state);
    state
}

/// The object store the configuration names: a bucket, or the `store`
/// directory under the data directory (fsync'd, partial uploads of an
/// earlier crash removed).
fn open_object_store(config: &Config, data_dir: &Path) -> Result<Arc<dyn ObjectStore>, ServerError> {
    if let Some(url) = &config.storage.url {
        if !is_remote_url(url) {
            return Err(ServerError::Config(format!(
                "storage url {url:?}: use s3://, gs:// or az://; local disk is the default (--data-dir)"
            )));
        }
        return Ok(object_store_from_url(url, &config.storage.remote_options())?);
    }
    let store_dir = data_dir.join("store");
    std::fs::create_dir_all(&store_dir)?;
    let removed = crate::staging::remove_staging_files(&store_dir)?;
    if removed > 0 {
        tracing::info!("removed {removed} partial uploads left by an earlier crash");
    }
    let fs = LocalFileSystem::new_with_prefix(&store_dir).map_err(kiln_store::Error::from)?.with_fsync(true);
    Ok(Arc::new(fs))
}

/// The store's configuration for this role: a node that shares its object
/// store (any role but `all`, or `all` on a bucket) refreshes its catalog
/// by listing, and maintains only under the compactor lease.
fn store_config(config: &Config) -> StoreConfig {
    let role = config.role;
    let shared = role != Role::All || config.storage.is_remote();
    let defaults = StoreConfig::default();
    StoreConfig {
        retention_max_age: config.retention_max_age,
        retention_max_bytes: config.retention_max_bytes,
        cache_bytes: config.storage.cache_bytes,
        section_cache_bytes: if config.storage.is_remote() { config.storage.section_cache_bytes } else { 0 },
        maintenance_interval: defaults.maintenance_interval.filter(|_| role.compacts()),
        node_id: config.node_id.clone().unwrap_or_else(host_name),
        refresh_interval: shared.then_some(config.storage.refresh_interval),
        lease: (shared && role.compacts()).then(LeaseConfig::default),
        // Queries on other nodes plan with catalogs up to a refresh old.
        delete_delay: if shared {
            defaults.delete_delay.max(4 * config.storage.refresh_interval)
        } else {
            defaults.delete_delay
        },
        ..defaults
    }
}

/// This machine's name, the default node id.
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::from("kiln")
    }
}

/// Opens the store and starts serving; `signals` makes SIGINT/SIGTERM stop
/// it gracefully.
pub async fn start(config: Config, env: &BTreeMap<String, String>, signals: bool) -> Result<Running, ServerError> {
    // A wrong credential entry stops the start before anything is opened.
    let auth = config.authenticator()?;
    let data_dir = config.data_dir(env);
    let store = Store::open(open_object_store(&config, &data_dir)?, store_config(&config)).await?;
    // Where `kiln adhoc` saves its runs when both use the default data directory.
    let adhoc_limits = AdhocLimits { max_bytes: config.adhoc_max_bytes, max_age: config.adhoc_max_age };
    let adhoc = AdhocDir::open(data_dir.join("adhoc"), adhoc_limits)?;
    let app = router(api_state(&config, store.clone(), adhoc, auth));
    let serving = serving(&config).await?;
    let addr = serving.listener.local_addr()?;
    match &config.storage.url {
        Some(url) => tracing::info!("kiln server ({}) listening on {addr}, data in {url}", config.role.name()),
        None => {
            tracing::info!("kiln server ({}) listening on {addr}, data in {}", config.role.name(), data_dir.display())
        }
    }
    if !config.auth_enabled && !addr.ip().is_loopback() {
        tracing::warn!(
            "authentication is off and {addr} is reachable from other machines: anyone who reaches it reads and \
             writes every tenant. Set auth_enabled with tokens (`kiln token create`), or listen on 127.0.0.1"
        );
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let shutdown = async move {
            if signals {
                tokio::select! { _ = stopped => {}, _ = signal() => {} }
            } else {
                let _ = stopped.await;
            }
        };
        serve(serving, app, shutdown).await;
        store.close().await;
        Ok(())
    });
    Ok(Running { addr, data_dir, stop: Some(stop), done })
}

/// The listener, TLS when configured, and how many connections fit the
/// open-file limit once it is raised.
async fn serving(config: &Config) -> Result<Serving, ServerError> {
    let connections = config.connections.clone();
    let tls = connections.tls_files().map_err(ServerError::Config)?;
    let tls = tls.map(|(cert, key)| tls_acceptor(cert, key)).transpose()?;
    let open_files = raise_open_file_limit();
    let capacity = connection_capacity(connections.max_connections, open_files);
    tracing::info!("serving up to {capacity} connections at once{}", if tls.is_some() { ", over TLS" } else { "" });
    let listener = TcpListener::bind(&config.listen).await?;
    Ok(Serving { listener, tls, config: connections, capacity })
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
