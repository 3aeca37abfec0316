//! `multipart/form-data` bodies of legacy ingestion, read from bytes
//! already bounded by the body limit. Fields are inflated one at a time
//! under one budget for the whole form, so several gzip fields cannot
//! each take the limit.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::error::ApiError;
use crate::ingest::admission::inflate;

/// Every field of a form by name (the last one wins), gunzipped when a
/// field is gzip; all fields together inflate to `limit` bytes at most.
pub async fn fields(content_type: &str, body: Bytes, limit: usize) -> Result<BTreeMap<String, Vec<u8>>, ApiError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| ApiError::invalid("multipart", format!("multipart/form-data without a boundary: {e}")))?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut out = BTreeMap::new();
    let mut left = limit;
    loop {
        let field =
            form.next_field().await.map_err(|e| ApiError::invalid("multipart", format!("malformed form: {e}")))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_owned();
        let data = field.bytes().await.map_err(|e| ApiError::invalid("multipart", format!("field {name:?}: {e}")))?;
        let data = inflate("multipart fields", &data, left)?.into_owned();
        left -= data.len();
        out.insert(name, data);
    }
    Ok(out)
}
