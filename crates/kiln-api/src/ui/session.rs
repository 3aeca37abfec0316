//! `GET /ui/api/session`: who the request's credential is and which tenants
//! it may use, for the UI's tenant picker. Any valid credential may ask
//! about itself ([`Access::Signed`](crate::auth::Access::Signed)); without
//! one the auth layer answers 401, and with auth off there is no session.

use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use crate::auth::{Principal, Tenants};
use crate::error::{ApiError, ApiErrorKind};

/// `{"name", "role", "tenants": [...]}`, `tenants` null when the credential
/// may use any tenant.
pub async fn session(principal: Option<Extension<Principal>>) -> Response {
    let Some(Extension(p)) = principal else {
        let message = "authentication is off: requests need no credential and name their tenant in X-Scope-OrgID";
        return ApiError::new(ApiErrorKind::NotFound, "no_session", message).into_response();
    };
    let tenants = match &p.tenants {
        Tenants::Any => None,
        Tenants::Named(list) => Some(list.clone()),
    };
    Json(json!({ "name": p.name, "role": p.role.name(), "tenants": tenants })).into_response()
}
