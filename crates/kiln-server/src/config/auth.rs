//! The authentication keys: `auth_enabled` (the one switch),
//! `auth_tokens` and `auth_users` (arrays of tables in the file), and
//! `metrics_public`. Secrets are never stored: a token by its SHA-256, a
//! Basic password by its Argon2id PHC string; `kiln token create` makes
//! both and prints the block to add.

use kiln_api::auth::{self, Authenticator, BasicUser, Role, Token};
use serde::{Deserialize, Serialize};

use super::Config;
use crate::error::ServerError;

/// One API token, `[[auth_tokens]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// Who or what uses it; named in logs and errors.
    pub name: String,
    pub role: Role,
    /// The tenants it may use, or `["*"]` for any.
    pub tenants: Vec<String>,
    /// The SHA-256 of the token, 64 hex digits.
    pub sha256: String,
}

/// One Basic auth user, `[[auth_users]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    pub role: Role,
    pub tenants: Vec<String>,
    /// The password's Argon2id PHC string (`$argon2id$v=19$...`).
    pub password_argon2: String,
}

impl Config {
    /// The credentials every route checks, or `None` when auth is off; an
    /// error names the entry that is wrong.
    pub fn authenticator(&self) -> Result<Option<Authenticator>, ServerError> {
        if !self.auth_enabled {
            if !self.auth_tokens.is_empty() || !self.auth_users.is_empty() {
                tracing::warn!(
                    "auth_tokens or auth_users are configured but auth_enabled is false: no route checks them"
                );
            }
            return Ok(None);
        }
        let err =
            |key: &str, i: usize, e: kiln_api::ApiError| ServerError::Config(format!("{key}[{i}]: {}", e.message));
        let tokens = self
            .auth_tokens
            .iter()
            .enumerate()
            .map(|(i, t)| Token::new(&t.name, &t.sha256, t.role, &t.tenants).map_err(|e| err("auth_tokens", i, e)));
        let users = self.auth_users.iter().enumerate().map(|(i, u)| {
            BasicUser::new(&u.username, &u.password_argon2, u.role, &u.tenants).map_err(|e| err("auth_users", i, e))
        });
        let (tokens, users) = (tokens.collect::<Result<_, _>>()?, users.collect::<Result<_, _>>()?);
        let metrics = if self.metrics_public { "public" } else { "admin only" };
        tracing::info!(
            "authentication on: {} tokens, {} Basic users, /metrics {metrics}",
            self.auth_tokens.len(),
            self.auth_users.len()
        );
        let authenticator =
            Authenticator::new(tokens, users, self.metrics_public).map_err(|e| ServerError::Config(e.message))?;
        Ok(Some(authenticator))
    }
}

/// A new API token: the secret, to show once, and the entry to add.
pub fn new_token(name: &str, role: Role, tenants: &[String]) -> (String, String) {
    let secret = auth::new_secret();
    let entry = TokenEntry { name: name.into(), role, tenants: tenants.to_vec(), sha256: auth::sha256_hex(&secret) };
    (secret, entry_toml("auth_tokens", entry))
}

/// A new Basic user with `password` (a random one when `None`): the
/// password and the entry to add. Hashing takes a moment on purpose.
pub fn new_user(username: &str, password: Option<String>, role: Role, tenants: &[String]) -> (String, String) {
    let password = password.unwrap_or_else(auth::new_secret);
    let password_argon2 = auth::hash_password(&password);
    let entry = UserEntry { username: username.into(), role, tenants: tenants.to_vec(), password_argon2 };
    (password, entry_toml("auth_users", entry))
}

/// `[[key]]` and the entry's fields, as the file takes them.
fn entry_toml<T: Serialize>(key: &str, entry: T) -> String {
    let table = std::collections::BTreeMap::from([(key, [entry])]);
    toml::to_string(&table).expect("an entry of strings and lists is valid TOML")
}
