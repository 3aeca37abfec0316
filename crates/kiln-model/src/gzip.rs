//! Bounded gzip: every decoder that accepts compressed input goes through
//! here, so a decompression bomb is refused instead of filling memory.

use std::borrow::Cow;
use std::io::{Read, Write};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::error::{Error, Position, Result};

/// Default bound on the decompressed size of one input: 256 MiB, the body
/// limit Pyroscope uses for ingestion.
pub const MAX_DECOMPRESSED_BYTES: usize = 256 << 20;

/// True when `data` starts with the gzip magic bytes.
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// Returns `data` decompressed if it is gzip, else `data` itself; refuses
/// output larger than `limit` bytes.
pub fn maybe_gunzip<'a>(format: &'static str, data: &'a [u8], limit: usize) -> Result<Cow<'a, [u8]>> {
    if !is_gzip(data) {
        if data.len() > limit {
            return Err(Error::too_large(format, format!("input is {} bytes, over the limit of {limit}", data.len())));
        }
        return Ok(Cow::Borrowed(data));
    }
    gunzip(format, data, limit).map(Cow::Owned)
}

/// Decompresses gzip `data`, refusing output larger than `limit` bytes.
pub fn gunzip(format: &'static str, data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4).min(limit));
    let mut reader = MultiGzDecoder::new(data).take(limit as u64 + 1);
    reader.read_to_end(&mut out).map_err(|e| Error::malformed(format, Position::None, format!("gzip: {e}")))?;
    if out.len() > limit {
        return Err(Error::too_large(format, format!("decompressed size exceeds the limit of {limit} bytes")));
    }
    Ok(out)
}

/// Compresses `data` with gzip at the default level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::default());
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}
