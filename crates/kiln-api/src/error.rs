//! The one error type of the API, mapped to HTTP once. Bodies are JSON of
//! Connect's shape, `{"code": "...", "message": "..."}`, on every route.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiln_model::ingest::limits::Rejection;
use kiln_model::ErrorKind;

use crate::ingest::{SinkError, SinkErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// Bad metadata or a malformed body: 400, `invalid_argument`.
    InvalidArgument,
    /// Body over the size limit: 413, `resource_exhausted`.
    TooLarge,
    /// The body could not be read: 408.
    BodyRead,
    /// The profile was understood but refused by a limit: 422 on legacy
    /// routes, `invalid_argument` on Connect.
    Rejected,
    /// Unsupported media type: 415.
    UnsupportedMediaType,
    /// What the request names does not exist: 404, `not_found`.
    NotFound,
    /// No valid credential while auth is on: 401, `unauthenticated`.
    Unauthenticated,
    /// A credential whose role or tenants do not allow the request: 403,
    /// `permission_denied`.
    PermissionDenied,
    /// The store failed or is not ready: 503, `unavailable`.
    Unavailable,
    /// A limit on load (a tenant's ingestion rate, the server's decode
    /// budget): 429 with `Retry-After`, `resource_exhausted`.
    Throttled { retry_after_secs: u64 },
    /// Something we did not expect: 500.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    /// A short machine-readable reason (`invalid_labels`, `pprof`, ...),
    /// counted in `/metrics`.
    pub reason: String,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, reason: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { kind, reason: reason.into(), message: message.into() }
    }

    pub fn invalid(reason: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(ApiErrorKind::InvalidArgument, reason, message)
    }

    /// Prefixes the message with where the problem was.
    pub fn with_context(mut self, at: &str) -> Self {
        self.message = format!("{at}: {}", self.message);
        self
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            ApiErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
            ApiErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorKind::BodyRead => StatusCode::REQUEST_TIMEOUT,
            ApiErrorKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
            ApiErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiErrorKind::NotFound => StatusCode::NOT_FOUND,
            ApiErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
            ApiErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiErrorKind::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Connect error code.
    pub fn connect_code(&self) -> &'static str {
        match self.kind {
            ApiErrorKind::InvalidArgument | ApiErrorKind::Rejected | ApiErrorKind::UnsupportedMediaType => {
                "invalid_argument"
            }
            ApiErrorKind::TooLarge | ApiErrorKind::Throttled { .. } => "resource_exhausted",
            ApiErrorKind::NotFound => "not_found",
            ApiErrorKind::Unauthenticated => "unauthenticated",
            ApiErrorKind::PermissionDenied => "permission_denied",
            ApiErrorKind::BodyRead => "deadline_exceeded",
            ApiErrorKind::Unavailable => "unavailable",
            ApiErrorKind::Internal => "internal",
        }
    }

    fn body(&self) -> String {
        serde_json::json!({ "code": self.connect_code(), "message": self.message }).to_string()
    }
}

impl From<kiln_model::Error> for ApiError {
    fn from(e: kiln_model::Error) -> Self {
        let kind = match e.kind {
            ErrorKind::TooLarge => ApiErrorKind::TooLarge,
            _ => ApiErrorKind::InvalidArgument,
        };
        ApiError::new(kind, e.format, e.to_string())
    }
}

impl From<SinkError> for ApiError {
    fn from(e: SinkError) -> Self {
        let kind = match e.kind {
            SinkErrorKind::Unavailable => ApiErrorKind::Unavailable,
            SinkErrorKind::TooLarge => ApiErrorKind::TooLarge,
            SinkErrorKind::InvalidArgument => ApiErrorKind::InvalidArgument,
            SinkErrorKind::Internal => ApiErrorKind::Internal,
        };
        ApiError::new(kind, "storage", e.message)
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        ApiError::new(ApiErrorKind::Rejected, r.reason.as_str(), r.message)
    }
}

/// An error on a Connect route: same body, but the status Connect maps the
/// code to (400 for `invalid_argument`, 429 for `resource_exhausted`, ...).
pub struct ConnectError(pub ApiError);

impl IntoResponse for ConnectError {
    fn into_response(self) -> Response {
        let status = match self.0.connect_code() {
            "invalid_argument" => StatusCode::BAD_REQUEST,
            "not_found" => StatusCode::NOT_FOUND,
            "unauthenticated" => StatusCode::UNAUTHORIZED,
            "permission_denied" => StatusCode::FORBIDDEN,
            "resource_exhausted" => StatusCode::TOO_MANY_REQUESTS,
            "deadline_exceeded" => StatusCode::REQUEST_TIMEOUT,
            "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        with_retry_after(&self.0, json_response(status, self.0.body()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        with_retry_after(&self, json_response(self.status(), self.body()))
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Adds `Retry-After` (seconds) to the response of a throttled request.
pub fn with_retry_after(e: &ApiError, mut response: Response) -> Response {
    if let ApiErrorKind::Throttled { retry_after_secs } = e.kind {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
    }
    response
}
