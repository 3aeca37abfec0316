//! Basic auth passwords, stored as Argon2id PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). People choose passwords,
//! so unlike tokens they may be guessable: a slow, salted, memory-hard hash
//! keeps a leaked configuration from giving them away. Checking one costs
//! tens of milliseconds and ~19 MiB, so it runs on the blocking pool, at
//! most [`CONCURRENT_CHECKS`] at a time (a flood of wrong passwords waits
//! instead of using memory), and a password that passed is remembered (as
//! a keyed SHA-256, never in clear) so an SDK sending it every 15 seconds
//! pays once.

use std::collections::HashSet;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::blocking::blocking;
use crate::error::{ApiError, ApiErrorKind};

/// Argon2 checks running at once.
const CONCURRENT_CHECKS: usize = 2;
/// Passwords remembered as verified; the set is emptied when full.
const REMEMBERED: usize = 1024;

/// A PHC string of `password` with Argon2id's default parameters and a
/// random salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random number generator");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    let hash = Argon2::default().hash_password(password.as_bytes(), &salt).expect("Argon2id with default parameters");
    hash.to_string()
}

/// Whether `text` is a PHC string Argon2 can check passwords against.
pub fn check_phc(text: &str) -> Result<(), String> {
    let hash = PasswordHash::new(text).map_err(|e| format!("not a PHC string ({e})"))?;
    match hash.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Ok(()),
        other => Err(format!("algorithm {other} is not Argon2: make one with `kiln token create --user`")),
    }
}

/// Checks passwords against PHC strings, bounded and remembered.
pub struct PasswordChecker {
    permits: Semaphore,
    /// Random per process: keys the remembered hashes.
    key: [u8; 32],
    verified: Mutex<HashSet<[u8; 32]>>,
}

impl Default for PasswordChecker {
    fn default() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random number generator");
        PasswordChecker { permits: Semaphore::new(CONCURRENT_CHECKS), key, verified: Mutex::default() }
    }
}

impl PasswordChecker {
    /// Whether `password` is `user`'s, whose hash is `phc`.
    pub async fn verify(&self, user: &str, phc: &str, password: &str) -> Result<bool, ApiError> {
        let remembered = self.remembered(user, password);
        if self.verified.lock().expect("password cache").contains(&remembered) {
            return Ok(true);
        }
        let _permit = self.permits.acquire().await.map_err(|e| internal(&e.to_string()))?;
        let (phc, password) = (phc.to_owned(), password.to_owned());
        let ok = blocking(move || Ok(argon2_verify(&phc, &password))).await?;
        if ok {
            let mut verified = self.verified.lock().expect("password cache");
            if verified.len() >= REMEMBERED {
                verified.clear();
            }
            verified.insert(remembered);
        }
        Ok(ok)
    }

    fn remembered(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((user.len() as u64).to_le_bytes());
        h.update(user.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }
}

fn argon2_verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn internal(message: &str) -> ApiError {
    ApiError::new(ApiErrorKind::Internal, "auth", format!("checking a password: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PHC string of `password` with cheap parameters, so tests are fast
    /// in a debug build (the string carries its parameters).
    fn cheap(password: &str) -> String {
        let params = argon2::Params::new(64, 1, 1, None).unwrap();
        let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = SaltString::encode_b64(b"saltsaltsaltsalt").unwrap();
        argon.hash_password(password.as_bytes(), &salt).unwrap().to_string()
    }

    #[tokio::test]
    async fn the_right_password_passes_and_a_wrong_one_does_not() {
        let (checker, phc) = (PasswordChecker::default(), cheap("s3cret"));
        assert!(checker.verify("u", &phc, "s3cret").await.unwrap());
        assert!(checker.verify("u", &phc, "s3cret").await.unwrap(), "remembered");
        assert!(!checker.verify("u", &phc, "s3cret!").await.unwrap());
        assert!(!checker.verify("v", &phc, "wrong").await.unwrap());
    }

    #[test]
    fn only_argon2_phc_strings_are_accepted() {
        assert!(check_phc(&cheap("x")).is_ok());
        assert!(check_phc(&hash_password("x")).is_ok());
        assert!(check_phc("s3cret").is_err());
        assert!(check_phc("$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA").is_err());
    }
}
