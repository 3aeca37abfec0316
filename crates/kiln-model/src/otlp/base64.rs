//! The two byte encodings protojson and OTLP/JSON use: base64 (standard or
//! URL-safe alphabet, padding optional) and, for trace and span ids, hex.

/// Decodes base64 in either alphabet, with or without `=` padding.
pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        acc = (acc << 6) | u32::from(sextet(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone trailing sextet cannot encode a byte.
    (bits < 6).then_some(out)
}

fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

/// Decodes an even-length hex string of exactly `len` bytes.
pub(super) fn decode_hex(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != len * 2 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    s.as_bytes().chunks_exact(2).map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_both_alphabets_with_or_without_padding() {
        assert_eq!(decode("aGk=").unwrap(), b"hi");
        assert_eq!(decode("aGk").unwrap(), b"hi");
        assert_eq!(decode("-_8").unwrap(), decode("+/8=").unwrap());
        assert_eq!(decode("").unwrap(), b"");
        assert!(decode("a").is_none());
        assert!(decode("a*b=").is_none());
    }

    #[test]
    fn hex_needs_the_exact_length() {
        assert_eq!(decode_hex("0aff", 2).unwrap(), [10, 255]);
        assert!(decode_hex("0aff", 3).is_none());
        assert!(decode_hex("0g", 1).is_none());
    }
}
