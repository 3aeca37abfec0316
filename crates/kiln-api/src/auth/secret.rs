//! API tokens: 256 random bits, shown once, stored as their SHA-256. A
//! token is high-entropy, so a fast hash is enough: nobody can guess one
//! from its hash, and checking it costs microseconds on every request. The
//! stored hashes are compared in constant time.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so a leaked one is recognisable (secret
/// scanners match on it).
pub const TOKEN_PREFIX: &str = "kiln_";

/// A fresh secret: `kiln_` and 43 base64url characters (32 random bytes
/// from the operating system).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret.
pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The SHA-256 of a secret in lower-case hex, as the configuration holds it.
pub fn sha256_hex(secret: &str) -> String {
    sha256(secret).iter().map(|b| format!("{b:02x}")).collect()
}

/// A configured hash: exactly 64 hexadecimal digits.
pub fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    let text = text.as_bytes();
    if text.len() != 64 || !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        let digits = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(out)
}

/// The index of the hash equal to `digest`, comparing every one in
/// constant time.
pub fn find_hash<'a>(digest: &[u8; 32], hashes: impl Iterator<Item = &'a [u8; 32]>) -> Option<usize> {
    let mut found = None;
    for (i, h) in hashes.enumerate() {
        if bool::from(h.ct_eq(digest)) {
            found = found.or(Some(i));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_prefixed_unique_and_round_trips_through_its_hex_hash() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_eq!(parse_sha256_hex(&sha256_hex(&a)), Some(sha256(&a)));
    }

    #[test]
    fn a_hash_that_is_not_64_hex_digits_is_refused() {
        assert_eq!(parse_sha256_hex("abc"), None);
        assert_eq!(parse_sha256_hex(&"g".repeat(64)), None);
        assert_eq!(parse_sha256_hex(&"+1".repeat(32)), None);
    }
}
