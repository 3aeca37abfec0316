//! A bounds-checked cursor over JFR bytes: big-endian fixed-width numbers,
//! LEB128-style compressed integers and JFR's tagged strings. Every error
//! names `jfr` and the absolute byte offset where reading stopped.

use crate::error::{Error, Position, Result};

use super::FORMAT;

/// A cursor over one region of the input (a chunk, an event).
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Absolute offset of `data[0]` in the whole input, for error positions.
    base: usize,
    /// Whether ints, longs, shorts and chars are varint-encoded (the chunk's
    /// compressed-integers feature, set by every current JDK).
    compressed: bool,
}

/// A string as stored in JFR: inline text, a constant-pool reference, or null.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JfrString {
    Null,
    Text(String),
    /// Key into the `java.lang.String` constant pool.
    PoolRef(u64),
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte is at absolute offset `base`.
    pub(crate) fn new(data: &'a [u8], base: usize, compressed: bool) -> Self {
        Reader { data, pos: 0, base, compressed }
    }

    /// The absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left in this region.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// An error at the current offset.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::malformed(FORMAT, Position::Byte(self.offset() as u64), message)
    }

    /// A reader over the next `len` bytes, advancing past them.
    pub(crate) fn sub(&mut self, len: usize, what: &str) -> Result<Reader<'a>> {
        let start = self.pos;
        let bytes = self.bytes(len, what)?;
        Ok(Reader { data: bytes, pos: 0, base: self.base + start, compressed: self.compressed })
    }

    /// Reads an event's size prefix (the size counts the prefix itself) and
    /// returns a reader over the rest of the event, leaving `self` after it.
    pub(crate) fn event(&mut self) -> Result<Reader<'a>> {
        let start = self.pos;
        let size = self.int("event size")?;
        let header = self.pos - start;
        if size < 0 || (size as usize) <= header || size as usize - header > self.remaining() {
            self.pos = start;
            return Err(self.error(format!("event size {size} is too small or runs past the end")));
        }
        self.sub(size as usize - header, "event")
    }

    /// Skips `len` bytes.
    pub(crate) fn skip(&mut self, len: usize, what: &str) -> Result<()> {
        self.bytes(len, what).map(|_| ())
    }

    fn bytes(&mut self, len: usize, what: &str) -> Result<&'a [u8]> {
        if len > self.remaining() {
            return Err(self.error(format!("{what}: needs {len} bytes, only {} left", self.remaining())));
        }
        let out = &self.data[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    /// One raw byte.
    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A raw big-endian u16 (chunk header fields).
    pub(crate) fn raw_u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A raw big-endian i64 (chunk header fields).
    pub(crate) fn raw_i64(&mut self, what: &str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// A raw big-endian u32 (chunk header fields).
    pub(crate) fn raw_u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A compressed integer: 7 bits per byte, low bits first, at most nine
    /// bytes, the ninth contributing all eight of its bits.
    pub(crate) fn varint(&mut self, what: &str) -> Result<u64> {
        let start = self.offset();
        let mut value = 0u64;
        for i in 0..9 {
            let Some(&b) = self.data.get(self.pos) else {
                let pos = Position::Byte(start as u64);
                return Err(Error::malformed(FORMAT, pos, format!("{what}: varint runs past the end")));
            };
            self.pos += 1;
            if i == 8 {
                return Ok(value | (u64::from(b) << 56));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                break;
            }
        }
        Ok(value)
    }

    /// A JFR `long`.
    pub(crate) fn long(&mut self, what: &str) -> Result<i64> {
        if self.compressed {
            Ok(self.varint(what)? as i64)
        } else {
            self.raw_i64(what)
        }
    }

    /// A JFR `int` (a compressed int keeps its low 32 bits, as the JDK does).
    pub(crate) fn int(&mut self, what: &str) -> Result<i32> {
        if self.compressed {
            Ok(self.varint(what)? as i32)
        } else {
            Ok(self.raw_u32(what)? as i32)
        }
    }

    /// A JFR `short` or `char`.
    pub(crate) fn short(&mut self, what: &str) -> Result<i16> {
        if self.compressed {
            Ok(self.varint(what)? as i16)
        } else {
            Ok(self.raw_u16(what)? as i16)
        }
    }

    /// A JFR `float`, as its bits widened to f64.
    pub(crate) fn float(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from(f32::from_bits(self.raw_u32(what)?)))
    }

    /// A JFR `double`.
    pub(crate) fn double(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_bits(self.raw_i64(what)? as u64))
    }

    /// A count or length that must be non-negative and, since every element
    /// takes at least one byte, no larger than the bytes left.
    pub(crate) fn count(&mut self, what: &str) -> Result<usize> {
        let start = self.offset();
        let n = self.int(what)?;
        if n < 0 || n as usize > self.remaining() {
            let msg = format!("{what}: length {n} is negative or exceeds the {} bytes left", self.remaining());
            return Err(Error::malformed(FORMAT, Position::Byte(start as u64), msg));
        }
        Ok(n as usize)
    }

    /// A tagged JFR string: 0 null, 1 empty, 2 pool reference, 3 UTF-8,
    /// 4 UTF-16 code units, 5 Latin-1.
    pub(crate) fn string(&mut self, what: &str) -> Result<JfrString> {
        let tag_at = self.offset();
        match self.u8(what)? {
            0 => Ok(JfrString::Null),
            1 => Ok(JfrString::Text(String::new())),
            2 => Ok(JfrString::PoolRef(self.long(what)? as u64)),
            3 => {
                let len = self.count(what)?;
                Ok(JfrString::Text(String::from_utf8_lossy(self.bytes(len, what)?).into_owned()))
            }
            4 => self.utf16(what),
            5 => {
                let len = self.count(what)?;
                Ok(JfrString::Text(self.bytes(len, what)?.iter().map(|&b| char::from(b)).collect()))
            }
            tag => Err(Error::malformed(
                FORMAT,
                Position::Byte(tag_at as u64),
                format!("{what}: unknown string tag {tag}"),
            )),
        }
    }

    fn utf16(&mut self, what: &str) -> Result<JfrString> {
        let len = self.count(what)?;
        let mut units = Vec::with_capacity(len);
        for _ in 0..len {
            units.push(self.short(what)? as u16);
        }
        Ok(JfrString::Text(String::from_utf16_lossy(&units)))
    }
}
