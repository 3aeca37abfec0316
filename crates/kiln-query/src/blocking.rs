//! Running CPU work proportional to a query's data (trees cut or built,
//! flame graphs, buckets, series) on the store's background pool, off the
//! async runtime's threads and below them in priority, so they keep
//! serving other requests meanwhile.

use crate::error::{ErrorKind, QueryError, Result};

/// Runs `f` on the background pool; a panic in it is an `Internal` error.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    kiln_store::background::spawn(f)
        .await
        .map_err(|e| QueryError { kind: ErrorKind::Internal, message: format!("query task failed: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_an_internal_error() {
        let e = blocking(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal);
        assert_eq!(blocking(|| 7).await, Ok(7));
    }
}
