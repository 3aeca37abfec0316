//! The 68-byte chunk header: magic, version, where the chunk's constant
//! pools and metadata are, its clock and its feature flags.

use crate::error::{Error, Position, Result};

use super::reader::Reader;
use super::FORMAT;

/// Size of a chunk header in bytes.
pub(crate) const HEADER_SIZE: usize = 68;

const MAGIC: [u8; 4] = *b"FLR\0";

/// Bit of the header's flag byte saying integers are varint-encoded.
const COMPRESSED_INTS: u8 = 1;

/// A validated chunk header; offsets are relative to the chunk start and
/// lie inside the chunk.
#[derive(Debug, Clone)]
pub(crate) struct ChunkHeader {
    pub size: usize,
    pub constant_pool_offset: usize,
    pub metadata_offset: usize,
    pub start_nanos: i64,
    pub duration_nanos: i64,
    pub ticks_per_second: i64,
    pub compressed_ints: bool,
}

impl ChunkHeader {
    /// Reads the header of the chunk starting at `data[0]` (absolute offset
    /// `base`); `data` runs to the end of the input.
    pub(crate) fn read(data: &[u8], base: usize) -> Result<ChunkHeader> {
        let mut r = Reader::new(data, base, false);
        let magic = [r.u8("magic")?, r.u8("magic")?, r.u8("magic")?, r.u8("magic")?];
        if magic != MAGIC {
            let msg = format!("bad chunk magic {magic:02x?}, expected \"FLR\\0\"");
            return Err(Error::malformed(FORMAT, Position::Byte(base as u64), msg));
        }
        let major = r.raw_u16("major version")?;
        let minor = r.raw_u16("minor version")?;
        if major != 2 {
            return Err(r.error(format!("unsupported JFR version {major}.{minor}, only 2.x is read")));
        }
        let size = r.raw_i64("chunk size")?;
        let constant_pool_offset = r.raw_i64("constant pool offset")?;
        let metadata_offset = r.raw_i64("metadata offset")?;
        let start_nanos = r.raw_i64("start time")?;
        let duration_nanos = r.raw_i64("duration")?;
        let _start_ticks = r.raw_i64("start ticks")?;
        let ticks_per_second = r.raw_i64("ticks per second")?;
        let features = r.raw_u32("features")?;
        if size < HEADER_SIZE as i64 || size as u64 > data.len() as u64 {
            let msg = format!("chunk size {size} is below the header size or past the end ({} bytes left)", data.len());
            return Err(Error::malformed(FORMAT, Position::Byte(base as u64 + 8), msg));
        }
        if ticks_per_second <= 0 {
            return Err(Error::malformed(FORMAT, Position::Byte(base as u64 + 56), "ticks per second is not positive"));
        }
        let size = size as usize;
        let header = ChunkHeader {
            size,
            constant_pool_offset: inside(constant_pool_offset, size, "constant pool offset", base + 16)?,
            metadata_offset: inside(metadata_offset, size, "metadata offset", base + 24)?,
            start_nanos,
            duration_nanos,
            ticks_per_second,
            compressed_ints: features as u8 & COMPRESSED_INTS != 0,
        };
        Ok(header)
    }
}

/// Checks that an offset points past the header and inside the chunk.
fn inside(offset: i64, size: usize, what: &str, at: usize) -> Result<usize> {
    if offset < HEADER_SIZE as i64 || offset as u64 >= size as u64 {
        let msg = format!("{what} {offset} is outside the chunk of {size} bytes");
        return Err(Error::malformed(FORMAT, Position::Byte(at as u64), msg));
    }
    Ok(offset as usize)
}
