//! CPU work of a request proportional to its answer (protobuf and
//! protojson encoding, flame graphs turned into flamebearer JSON, Graphviz
//! and HTML reports, adhoc rendering) runs on tokio's blocking pool, so
//! the async runtime keeps answering other requests (`/ready` among them)
//! meanwhile.

use crate::error::{ApiError, ApiErrorKind};

/// Runs `f` on the blocking pool; a panic in it is an `Internal` error.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, "server", format!("a blocking task failed: {e}")))?
}

/// `message` as binary protobuf, encoded on the blocking pool.
pub async fn encoded<M: prost::Message + Send + 'static>(message: M) -> Result<Vec<u8>, ApiError> {
    blocking(move || Ok(message.encode_to_vec())).await
}
