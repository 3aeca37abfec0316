//! The one error type of `kiln-query`.

/// What went wrong, in the terms the API layer maps to status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is wrong: a bad selector, profile type, range or limit
    /// (Connect `invalid_argument`).
    InvalidArgument,
    /// The store is shutting down (Connect `unavailable`).
    Unavailable,
    /// The store failed (Connect `internal`).
    Internal,
}

/// A failed query, with a message meant for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = QueryError> = std::result::Result<T, E>;

impl QueryError {
    /// An `InvalidArgument` error.
    pub fn invalid(message: impl Into<String>) -> Self {
        QueryError { kind: ErrorKind::InvalidArgument, message: message.into() }
    }
}

impl From<kiln_store::Error> for QueryError {
    fn from(e: kiln_store::Error) -> Self {
        let kind = match e.kind {
            kiln_store::ErrorKind::InvalidArgument => ErrorKind::InvalidArgument,
            kiln_store::ErrorKind::Closed | kiln_store::ErrorKind::Gone => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        };
        QueryError { kind, message: e.message }
    }
}

/// A selector, query or profile type the model refused: `InvalidArgument`
/// with the model's message (which names the byte and what was expected).
impl From<kiln_model::Error> for QueryError {
    fn from(e: kiln_model::Error) -> Self {
        QueryError::invalid(e.message)
    }
}
