//! What a protobuf message will cost in memory once decoded, counted by
//! walking its wire bytes before anything is allocated.
//!
//! An element of a repeated field can be two bytes on the wire (`\x12\x00`
//! is an empty pprof `Sample`) and seventy in memory, so a 4 MiB message
//! could ask a decoder for 150 MB. Decoders describe their messages as
//! [`Shape`]s and refuse input whose decoded size would pass
//! [`MAX_DECODED_PER_INPUT_BYTE`] times its length (plus
//! [`DECODED_SLACK_BYTES`], so small messages of empty elements stay legal).

use crate::error::{Error, Result};

/// Decoded bytes allowed per input byte, counting struct sizes (the
/// capacity `Vec` growth leaves can double it). Real profiles decode to a
/// few times their size.
pub const MAX_DECODED_PER_INPUT_BYTE: usize = 16;

/// Decoded bytes allowed besides the per-byte bound.
pub const DECODED_SLACK_BYTES: usize = 1 << 20;

/// Nesting deeper than this is left to the decoder (prost stops at 100).
const MAX_DEPTH: usize = 100;

/// What one field costs once decoded.
pub enum Cost {
    /// A message: `size` bytes for its struct when the field is repeated
    /// (0 when it is a singular field held inline), and its own fields.
    Message(usize, &'static Shape),
    /// A repeated scalar of `size` bytes an element, packed or not.
    Scalar(usize),
    /// Bytes or a string: its length, and `size` bytes for its `Vec` when
    /// the field is repeated.
    Bytes(usize),
}

/// The fields of a message that allocate, by field number.
pub struct Shape(pub &'static [(u32, Cost)]);

impl Shape {
    fn cost(&self, field: u32) -> Option<&Cost> {
        self.0.iter().find(|(n, _)| *n == field).map(|(_, c)| c)
    }
}

/// Refuses `data` when decoding it as `shape` would allocate more than
/// the bound for its length. Malformed bytes end the walk: the decoder
/// reports them, and what was counted before them was within the bound.
pub fn check(format: &'static str, data: &[u8], shape: &Shape) -> Result<()> {
    let limit = data.len().saturating_mul(MAX_DECODED_PER_INPUT_BYTE).saturating_add(DECODED_SLACK_BYTES);
    let mut walk = Walk { limit, total: 0 };
    match walk.message(data, shape, 0) {
        Err(Stop::OverLimit) => Err(Error::too_large(
            format,
            format!(
                "{} bytes would decode to more than {limit} bytes in memory ({MAX_DECODED_PER_INPUT_BYTE} per input byte)",
                data.len()
            ),
        )),
        _ => Ok(()),
    }
}

enum Stop {
    OverLimit,
    Malformed,
}

struct Walk {
    limit: usize,
    total: usize,
}

impl Walk {
    fn add(&mut self, bytes: usize) -> Result<(), Stop> {
        self.total = self.total.saturating_add(bytes);
        if self.total > self.limit {
            return Err(Stop::OverLimit);
        }
        Ok(())
    }

    fn message(&mut self, mut data: &[u8], shape: &Shape, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Malformed);
        }
        while !data.is_empty() {
            let key = varint(&mut data)?;
            let (field, wire_type) = ((key >> 3) as u32, key & 7);
            let payload = skip(&mut data, wire_type)?;
            match (shape.cost(field), payload) {
                (Some(Cost::Message(size, inner)), Some(bytes)) => {
                    self.add(*size)?;
                    self.message(bytes, inner, depth + 1)?;
                }
                (Some(Cost::Bytes(size)), Some(bytes)) => self.add(size + bytes.len())?,
                // Packed: at least one byte an element.
                (Some(Cost::Scalar(size)), Some(bytes)) => self.add(size.saturating_mul(bytes.len()))?,
                (Some(Cost::Scalar(size)), None) => self.add(*size)?,
                _ => {}
            }
        }
        Ok(())
    }
}

fn varint(data: &mut &[u8]) -> Result<u64, Stop> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&b, rest) = data.split_first().ok_or(Stop::Malformed)?;
        *data = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(Stop::Malformed)
}

/// Moves past one field's value; the payload of a length-delimited one.
fn skip<'a>(data: &mut &'a [u8], wire_type: u64) -> Result<Option<&'a [u8]>, Stop> {
    let len = match wire_type {
        0 => return varint(data).map(|_| None),
        1 => 8,
        5 => 4,
        2 => usize::try_from(varint(data)?).map_err(|_| Stop::Malformed)?,
        _ => return Err(Stop::Malformed),
    };
    if len > data.len() {
        return Err(Stop::Malformed);
    }
    let (value, rest) = data.split_at(len);
    *data = rest;
    Ok((wire_type == 2).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    static INNER: Shape = Shape(&[(1, Cost::Scalar(8))]);
    static OUTER: Shape = Shape(&[(2, Cost::Message(72, &INNER)), (6, Cost::Bytes(24))]);

    #[test]
    fn empty_elements_are_legal_until_they_outgrow_the_input() {
        assert!(check("t", &[0x12, 0x00].repeat(1000), &OUTER).is_ok());
        let bomb = [0x12, 0x00].repeat(1 << 20);
        let e = check("t", &bomb, &OUTER).unwrap_err();
        assert!(e.to_string().contains("would decode to more than"), "{e}");
    }

    #[test]
    fn nested_packed_values_and_unknown_fields_are_counted_as_decoded() {
        // Sample { 1: packed [1, 2, 3] }, an unknown varint field, a string.
        let msg = [0x12, 0x05, 0x0a, 0x03, 1, 2, 3, 0x38, 0x01, 0x32, 0x02, b'h', b'i'];
        let mut walk = Walk { limit: usize::MAX, total: 0 };
        assert!(walk.message(&msg, &OUTER, 0).is_ok());
        assert_eq!(walk.total, 72 + 3 * 8 + 24 + 2);
    }

    #[test]
    fn malformed_bytes_are_left_to_the_decoder() {
        assert!(check("t", &[0x12, 0x7f, 0x00], &OUTER).is_ok());
        assert!(check("t", &[0x12, 0xff], &OUTER).is_ok());
    }
}
