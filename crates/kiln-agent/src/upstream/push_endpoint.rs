//! The push upstream's endpoint: kiln-api's router (legacy `/ingest`, the
//! Push API, OTLP: the server's own decoders) on a random loopback port,
//! writing into a [`PushCollector`] that counts the requests in flight.
//! Profiles are taken whatever time they carry: the endpoint serves one
//! program, whose clock is the one that matters.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::{self, Next};
use kiln_api::{ApiState, IngestSink};
use tokio::sync::oneshot;

use super::push_collector::{PushCollector, GRACE};
use crate::error::{Error, Result};

/// The ingest endpoint on a random loopback port.
pub struct PushEndpoint {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl PushEndpoint {
    /// Starts serving on `127.0.0.1` (on the current tokio runtime).
    pub async fn start(collector: Arc<PushCollector>) -> Result<PushEndpoint> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|source| Error::Io { what: "opening the ingest endpoint", source })?;
        let addr = listener.local_addr().map_err(|source| Error::Io { what: "opening the ingest endpoint", source })?;
        let app = kiln_api::router(state(collector.clone())).layer(middleware::from_fn(move |r: Request, n: Next| {
            let collector = collector.clone();
            async move {
                let _in_flight = collector.request();
                n.run(r).await
            }
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let done = tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await });
        Ok(PushEndpoint { addr, stop, done })
    }

    /// `http://127.0.0.1:PORT`, what SDKs are given as their server address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting; waits a moment for connections to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(GRACE, self.done).await;
    }
}

/// The API's state over the collector, with no limit on profile times.
fn state(collector: Arc<PushCollector>) -> ApiState {
    let sink: Arc<dyn IngestSink> = collector;
    let mut state = ApiState::new(sink);
    (state.limits.reject_older_than_nanos, state.limits.reject_newer_than_nanos) = (0, 0);
    state
}
