//! Go's `binary.Uvarint` / `PutUvarint`, as the tree and trie transport
//! formats use them.

use crate::error::{Error, Position, Result};

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A cursor over bytes that reports the offset of any failure.
pub struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    pub format: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(format: &'static str, data: &'a [u8]) -> Self {
        Reader { data, pos: 0, format }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::malformed(self.format, Position::Byte(self.pos as u64), message)
    }

    /// Reads an unsigned varint of at most 10 bytes.
    pub fn uvarint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(self.error("unexpected end of input in a varint"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.error("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    /// Reads `n` bytes.
    pub fn bytes(&mut self, n: u64) -> Result<&'a [u8]> {
        let end = usize::try_from(n).ok().and_then(|n| self.pos.checked_add(n)).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(self.error(format!("length {n} runs past the end of the input")));
        };
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}
