//! The agent's own HTTP endpoint: `/ready` (200 once every job has
//! started, 503 before) and `/metrics` ([`AgentMetrics`] in the Prometheus
//! text format).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use super::metrics::AgentMetrics;

/// Serves the endpoint on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, metrics: Arc<AgentMetrics>, ready: Arc<AtomicBool>) {
    let app = Router::new()
        .route(
            "/ready",
            get(move || async move {
                match ready.load(Ordering::SeqCst) {
                    true => (StatusCode::OK, "ready\n"),
                    false => (StatusCode::SERVICE_UNAVAILABLE, "starting\n"),
                }
            }),
        )
        .route(
            "/metrics",
            get(move || async move {
                ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render()).into_response()
            }),
        );
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("kiln agent: the /ready and /metrics endpoint stopped: {e}");
    }
}
