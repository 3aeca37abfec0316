//! `/ready`, `/healthz` and `/metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::auth::{Principal, Role};
use crate::state::ApiState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn ready(State(state): State<ApiState>) -> Response {
    if state.sink.ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

/// Per-tenant counters name every tenant: with auth on, only an admin
/// sees them; anyone else gets them summed over tenants.
pub async fn metrics(State(state): State<ApiState>, principal: Option<Extension<Principal>>) -> Response {
    let per_tenant = state.auth.is_none() || principal.is_some_and(|p| p.role == Role::Admin);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(per_tenant)).into_response()
}
