//! The configured credentials and who a request's `Authorization` header
//! says it is: `Bearer <token>`, or `Basic` with a user's password, or
//! with any user name and a token as the password (as Grafana Cloud takes
//! an instance id and a token, so SDKs and Grafana's Basic auth settings
//! work with tokens too).

use axum::http::{header, HeaderMap};
use base64::Engine;

use super::password::{check_phc, PasswordChecker};
use super::secret::{find_hash, parse_sha256_hex, sha256};
use super::{Principal, Role, Tenants};
use crate::error::{ApiError, ApiErrorKind};

/// An API token: its name (for logs), the SHA-256 of its secret, its role
/// and tenants.
#[derive(Debug, Clone)]
pub struct Token {
    name: String,
    hash: [u8; 32],
    role: Role,
    tenants: Tenants,
}

impl Token {
    /// `sha256` is 64 hex digits; `tenants` a list of names or `["*"]`.
    pub fn new(name: &str, sha256: &str, role: Role, tenants: &[String]) -> Result<Token, ApiError> {
        let hash = parse_sha256_hex(sha256)
            .ok_or_else(|| config_error(format!("token {name:?}: sha256 must be 64 hexadecimal digits")))?;
        let tenants = Tenants::from_list(tenants).map_err(|e| config_error(format!("token {name:?}: {e}")))?;
        Ok(Token { name: name.to_owned(), hash, role, tenants })
    }

    fn principal(&self) -> Principal {
        Principal { name: self.name.clone(), role: self.role, tenants: self.tenants.clone() }
    }
}

/// A Basic auth user: name, Argon2 PHC string of the password, role and
/// tenants.
#[derive(Debug, Clone)]
pub struct BasicUser {
    name: String,
    phc: String,
    role: Role,
    tenants: Tenants,
}

impl BasicUser {
    pub fn new(name: &str, phc: &str, role: Role, tenants: &[String]) -> Result<BasicUser, ApiError> {
        if name.is_empty() || name.contains(':') {
            return Err(config_error(format!("user {name:?}: a Basic user name is not empty and has no ':'")));
        }
        check_phc(phc).map_err(|e| config_error(format!("user {name:?}: password_argon2 is {e}")))?;
        let tenants = Tenants::from_list(tenants).map_err(|e| config_error(format!("user {name:?}: {e}")))?;
        Ok(BasicUser { name: name.to_owned(), phc: phc.to_owned(), role, tenants })
    }
}

/// Every credential the server accepts, and whether `/metrics` is public.
pub struct Authenticator {
    tokens: Vec<Token>,
    users: Vec<BasicUser>,
    metrics_public: bool,
    passwords: PasswordChecker,
}

impl Authenticator {
    /// Refuses a set nobody could sign in with, and two users of one name.
    pub fn new(tokens: Vec<Token>, users: Vec<BasicUser>, metrics_public: bool) -> Result<Authenticator, ApiError> {
        if tokens.is_empty() && users.is_empty() {
            return Err(config_error("auth is on but no token or user is configured: nothing could be used".into()));
        }
        if let Some(u) = users.iter().enumerate().find(|(i, u)| users[..*i].iter().any(|o| o.name == u.name)) {
            return Err(config_error(format!("user {:?} is configured twice", u.1.name)));
        }
        Ok(Authenticator { tokens, users, metrics_public, passwords: PasswordChecker::default() })
    }

    pub fn metrics_public(&self) -> bool {
        self.metrics_public
    }

    /// Who the request's `Authorization` header names, or `unauthenticated`
    /// saying what was wrong.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthenticated("no credentials: send Authorization: Bearer <token>, or Basic auth"));
        };
        let text = value.to_str().map_err(|_| unauthenticated("the Authorization header is not text"))?;
        let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text, ""));
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => self.token(rest.trim()).ok_or_else(|| unauthenticated("the bearer token is not valid")),
            "basic" => self.basic(rest.trim()).await,
            _ => Err(unauthenticated(&format!("unsupported Authorization scheme {scheme:?}: use Bearer or Basic"))),
        }
    }

    fn token(&self, secret: &str) -> Option<Principal> {
        let found = find_hash(&sha256(secret), self.tokens.iter().map(|t| &t.hash))?;
        Some(self.tokens[found].principal())
    }

    async fn basic(&self, encoded: &str) -> Result<Principal, ApiError> {
        let invalid = || unauthenticated("the Basic credentials are not valid");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| unauthenticated("the Basic credentials are not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| unauthenticated("the Basic credentials are not UTF-8"))?;
        let (name, password) = text.split_once(':').ok_or_else(invalid)?;
        let Some(user) = self.users.iter().find(|u| u.name == name) else {
            return self.token(password).ok_or_else(invalid);
        };
        if !self.passwords.verify(&user.name, &user.phc, password).await? {
            return Err(invalid());
        }
        Ok(Principal { name: user.name.clone(), role: user.role, tenants: user.tenants.clone() })
    }
}

impl Principal {
    /// The tenant this request may use given the `X-Scope-OrgID` it named:
    /// `None` to keep the header (any tenant allowed); the only tenant of a
    /// one-tenant credential when none is named; `permission_denied` for a
    /// tenant outside the credential's, or none named among several.
    pub fn tenant(&self, named: Option<&str>) -> Result<Option<String>, ApiError> {
        let Tenants::Named(allowed) = &self.tenants else { return Ok(None) };
        match named.map(str::trim) {
            Some(t) if allowed.iter().any(|a| a == t) => Ok(Some(t.to_owned())),
            Some(t) => Err(denied(format!("{:?} may not use tenant {t:?}", self.name))),
            None if allowed.len() == 1 => Ok(Some(allowed[0].clone())),
            None => Err(denied(format!(
                "{:?} is scoped to several tenants: name one with X-Scope-OrgID ({})",
                self.name,
                allowed.join(", ")
            ))),
        }
    }

    /// `permission_denied` unless the role allows `needed`.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role.allows(needed) {
            return Ok(());
        }
        let message = format!("{:?} has the {} role; this route needs {}", self.name, self.role.name(), needed.name());
        Err(denied(message))
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ApiErrorKind::Unauthenticated, "unauthenticated", message)
}

fn denied(message: String) -> ApiError {
    ApiError::new(ApiErrorKind::PermissionDenied, "permission_denied", message)
}

fn config_error(message: String) -> ApiError {
    ApiError::invalid("auth_config", message)
}
