//! The serving loop: accept, give the connection a place in the registry
//! (or close it at once when every place is busy), shake hands for TLS,
//! serve it on its own task; on stop, stop accepting, ask every connection
//! to close once its requests are done, and cut those still busy when
//! `shutdown_timeout` has passed.

mod body_deadline;
mod connection;
mod registry;
mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::config::{enabled, Connections};
use connection::Served;
use registry::Registry;
pub use tls::acceptor as tls_acceptor;

/// How long to wait before accepting again after `accept` failed (out of
/// descriptors, most likely), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What the loop needs besides the router.
pub struct Serving {
    pub listener: TcpListener,
    pub tls: Option<TlsAcceptor>,
    pub config: Connections,
    /// Connections served at once (`max_connections`, lowered to fit the
    /// open-file limit).
    pub capacity: usize,
}

/// Serves `app` until `stop` resolves, then shuts down as described above.
pub async fn serve(serving: Serving, app: Router, stop: impl Future<Output = ()>) {
    let shutdown = CancellationToken::new();
    let served = Arc::new(Served::new(app, &serving.config, shutdown.clone()));
    let registry = Registry::new(serving.capacity);
    let handshake = enabled(serving.config.header_read_timeout);
    let mut tasks = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            Some(_) = tasks.join_next() => {}
            accepted = serving.listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let Some(admitted) = registry.admit() else {
                        tracing::debug!("refused a connection: all {} are busy", serving.capacity);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let (served, tls) = (served.clone(), serving.tls.clone());
                    tasks.spawn(connection(stream, tls, handshake, served, admitted));
                }
                Err(e) => {
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
        }
    }
    drop(serving.listener);
    shutdown.cancel();
    drain(tasks, serving.config.shutdown_timeout).await;
}

/// Serves one accepted connection, after the TLS handshake when there is one.
async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    handshake: Option<Duration>,
    served: Arc<Served>,
    admitted: registry::Admitted,
) {
    let Some(acceptor) = tls else { return connection::serve(stream, served, admitted).await };
    let accept = acceptor.accept(stream);
    let shaken = match handshake {
        Some(limit) => tokio::time::timeout(limit, accept).await.unwrap_or_else(|_| Err(timed_out())),
        None => accept.await,
    };
    match shaken {
        Ok(stream) => connection::serve(stream, served, admitted).await,
        Err(e) => tracing::debug!("TLS handshake: {e}"),
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "not done within header_read_timeout")
}

/// Waits for the connections to finish, at most `deadline`; the tasks
/// still running then are aborted, which closes their connections.
async fn drain(mut tasks: JoinSet<()>, deadline: Duration) {
    let finished = tokio::time::timeout(deadline, async { while tasks.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!("closing {} connections still busy after shutdown_timeout ({deadline:?})", tasks.len());
        tasks.shutdown().await;
    }
}
