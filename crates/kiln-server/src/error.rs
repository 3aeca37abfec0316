//! The one error type of `kiln-server`, and the one mapping of the query
//! engine's errors to the API's: this crate is where the two meet.

use kiln_api::{ApiError, ApiErrorKind};
use kiln_query::{ErrorKind, QueryError};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Storage(#[from] kiln_store::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A query engine error as an API error of the same kind (reason `query`).
pub(crate) fn api_error(e: QueryError) -> ApiError {
    let kind = match e.kind {
        ErrorKind::InvalidArgument => ApiErrorKind::InvalidArgument,
        ErrorKind::Unavailable => ApiErrorKind::Unavailable,
        ErrorKind::Internal => ApiErrorKind::Internal,
    };
    let message = crate::redact::without_paths(&e.message);
    if message != e.message {
        tracing::warn!("query failed: {}", e.message);
    }
    ApiError::new(kind, "query", message)
}
