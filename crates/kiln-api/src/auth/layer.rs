//! The check in front of every route when auth is on: what the matched
//! route needs (from the route table, where the UI's page and assets are
//! public; a route not in it needs an admin), who the request is, whether their role
//! allows it, and which tenant they may use, written into `X-Scope-OrgID`
//! for the handler. Refusals are 401 (with `WWW-Authenticate`) or 403 in
//! the request's protocol: a JSON error body, or gRPC's `unauthenticated`
//! (16) and `permission_denied` (7).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Access, Authenticator, Principal, Role};
use crate::connect::grpc;
use crate::error::{ApiError, ApiErrorKind};
use crate::metrics::Metrics;
use crate::request::{content_type, TENANT_HEADER};

/// Both schemes a client may answer a 401 with.
const CHALLENGES: [&str; 2] = ["Bearer realm=\"kiln\"", "Basic realm=\"kiln\", charset=\"UTF-8\""];

/// What the layer needs: the credentials, each route's access, the
/// counters refusals are counted in.
pub struct Guard {
    pub auth: Arc<Authenticator>,
    pub access: HashMap<&'static str, Access>,
    pub metrics: Arc<Metrics>,
}

impl Guard {
    /// The access of the route `matched`, by its table path; protected
    /// (admin) when the table does not know it.
    fn access_of(&self, matched: Option<&MatchedPath>) -> Access {
        if let Some(access) = matched.and_then(|m| self.access.get(m.as_str())) {
            return *access;
        }
        Access::Role(Role::Admin)
    }

    /// Lets the request through (with its tenant set) or says why not.
    async fn admit(&self, access: Access, req: &mut Request) -> Result<(), ApiError> {
        let metrics_public = self.auth.metrics_public();
        let anonymous_metrics = metrics_public && !req.headers().contains_key(header::AUTHORIZATION);
        if access == Access::Public || access == Access::Metrics && anonymous_metrics {
            return Ok(());
        }
        let principal = self.auth.identify(req.headers()).await?;
        match access {
            Access::Role(role) => {
                principal.require(role)?;
                scope_tenant(&principal, req)?;
            }
            Access::Metrics if !metrics_public => principal.require(Role::Admin)?,
            _ => {}
        }
        req.extensions_mut().insert(principal);
        Ok(())
    }
}

/// Replaces `X-Scope-OrgID` with the tenant `principal` may use here.
fn scope_tenant(principal: &Principal, req: &mut Request) -> Result<(), ApiError> {
    let named = match req.headers().get(TENANT_HEADER) {
        Some(v) => {
            Some(v.to_str().map_err(|_| ApiError::invalid("invalid_tenant", "X-Scope-OrgID is not valid text"))?)
        }
        None => None,
    };
    if let Some(tenant) = principal.tenant(named)? {
        let unsendable =
            || ApiError::invalid("invalid_tenant", format!("tenant {tenant:?} is not a valid header value"));
        let value = HeaderValue::from_str(&tenant).map_err(|_| unsendable())?;
        req.headers_mut().insert(TENANT_HEADER, value);
    }
    Ok(())
}

/// The middleware.
pub async fn check(State(guard): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let access = guard.access_of(req.extensions().get::<MatchedPath>());
    match guard.admit(access, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => {
            guard.metrics.rejected(&e.reason);
            refusal(grpc::is_grpc(&content_type(req.headers())), e)
        }
    }
}

fn refusal(grpc: bool, e: ApiError) -> Response {
    let challenge = e.kind == ApiErrorKind::Unauthenticated;
    let mut response = if grpc { grpc::error(&e) } else { e.into_response() };
    if challenge {
        for c in CHALLENGES {
            response.headers_mut().append(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
        }
    }
    response
}
