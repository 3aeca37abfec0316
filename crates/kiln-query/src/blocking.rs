//! CPU-heavy query work (merging, building answers) runs on tokio's
//! blocking pool, never on the runtime threads that serve every other
//! request.

use crate::error::{ErrorKind, QueryError, Result};

/// Runs `f` on the blocking pool and waits for it.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| QueryError { kind: ErrorKind::Internal, message: format!("query task failed: {e}") })?
}
