//! Just enough of the protobuf wire format to walk a message's fields
//! without decoding them: tags, wire types and where each field's bytes
//! are, as offsets into the whole buffer so a caller can patch them.

use std::ops::Range;

use super::dictionary::Lookup;

pub(super) const VARINT: u8 = 0;
pub(super) const FIXED64: u8 = 1;
pub(super) const LEN: u8 = 2;
pub(super) const FIXED32: u8 = 5;

/// One field of a message.
pub(super) struct Field {
    pub number: u64,
    pub wire: u8,
    /// Where the tag starts; a tag of one byte is `tag_at..tag_at + 1`.
    pub tag_at: usize,
    pub tag_len: usize,
    /// The payload of a `LEN` field; the encoded value of the others.
    pub body: Range<usize>,
}

/// The fields of the message in `buf[range]`, in order.
pub(super) fn fields(buf: &[u8], range: Range<usize>) -> Fields<'_> {
    Fields { buf, pos: range.start, end: range.end }
}

pub(super) struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl Iterator for Fields<'_> {
    type Item = Lookup<Field>;

    fn next(&mut self) -> Option<Lookup<Field>> {
        if self.pos >= self.end {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.pos = self.end;
        }
        Some(field)
    }
}

impl Fields<'_> {
    fn field(&mut self) -> Lookup<Field> {
        let tag_at = self.pos;
        let tag = self.varint()?;
        let tag_len = self.pos - tag_at;
        let (number, wire) = (tag >> 3, (tag & 7) as u8);
        let start = self.pos;
        let len = match wire {
            VARINT => {
                self.varint()?;
                0
            }
            FIXED64 => 8,
            FIXED32 => 4,
            LEN => {
                usize::try_from(self.varint()?).map_err(|_| "protobuf: a length does not fit in memory".to_owned())?
            }
            w => return Err(format!("protobuf: field {number} at byte {tag_at}: unsupported wire type {w}")),
        };
        let body_start = if wire == LEN { self.pos } else { start };
        let body_end = self.pos.checked_add(len).filter(|&e| e <= self.end);
        let body_end =
            body_end.ok_or_else(|| format!("protobuf: field {number} at byte {tag_at} runs past its message"))?;
        self.pos = body_end;
        Ok(Field { number, wire, tag_at, tag_len, body: body_start..body_end })
    }

    fn varint(&mut self) -> Lookup<u64> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.buf.get(self.pos).filter(|_| self.pos < self.end) else {
                return Err(format!("protobuf: varint at byte {} runs past its message", self.pos));
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("protobuf: varint ending at byte {} is longer than 10 bytes", self.pos))
    }
}

/// How many values a repeated scalar field adds: a packed `LEN` field holds
/// `per_value`-byte values (0 for varints, counted by their last byte);
/// an unpacked field holds one.
pub(super) fn count(buf: &[u8], field: &Field, per_value: usize) -> usize {
    if field.wire != LEN {
        return 1;
    }
    let bytes = &buf[field.body.clone()];
    match per_value {
        0 => bytes.iter().filter(|&&b| b & 0x80 == 0).count(),
        n => bytes.len() / n,
    }
}
