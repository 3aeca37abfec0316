//! Authentication, off unless the state carries an [`Authenticator`]:
//! API tokens (`Authorization: Bearer`) and HTTP Basic users, each with
//! one [`Role`] and scoped to tenants. Tokens are kept as their SHA-256
//! (`secret.rs`), passwords as Argon2id PHC strings (`password.rs`); the
//! check is one layer over the whole router (`layer.rs`) that reads what a
//! route needs from the route table (`crate::routes`), so a route nobody
//! classified needs an admin.
//!
//! With auth on, the tenant comes from the credential: the layer replaces
//! `X-Scope-OrgID` with the tenant it allowed before any handler reads it.

mod credentials;
pub(crate) mod layer;
mod password;
mod secret;

use serde::{Deserialize, Serialize};

pub use credentials::{Authenticator, BasicUser, Token};
pub use password::hash_password;
pub use secret::{new_secret, sha256_hex};

/// What a credential may do. `admin` may do everything; `read` queries
/// (querier, render, labels, apps, adhoc reads); `ingest` writes
/// profiles (ingest, Push, OTLP, adhoc uploads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Ingest,
    Read,
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Read => "read",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` names.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

/// What a route asks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks and static assets.
    Public,
    /// A credential with this role, for the tenant it names.
    Role(Role),
    /// `/metrics`: public when the authenticator says so (tenant names left
    /// out for anyone but an admin), else admin only.
    Metrics,
    /// Any valid credential, whatever its role, with no tenant picked: what
    /// a credential may learn about itself (`/ui/api/session`).
    Signed,
}

/// The tenants a credential may use: some by name, or any (`"*"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenants {
    Any,
    Named(Vec<String>),
}

impl Tenants {
    /// From a configured list; `"*"` alone means any tenant.
    pub fn from_list(list: &[String]) -> Result<Tenants, String> {
        if list.is_empty() {
            return Err("tenants is empty: name the tenants it may use, or \"*\" for any".into());
        }
        if list.iter().any(|t| t == "*") {
            return if list.len() == 1 { Ok(Tenants::Any) } else { Err("\"*\" must be the only tenant".into()) };
        }
        // What can travel in X-Scope-OrgID as the handlers read it.
        if let Some(bad) = list.iter().find(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic())) {
            return Err(format!("tenant {bad:?} is not a tenant id: printable ASCII without spaces"));
        }
        Ok(Tenants::Named(list.to_vec()))
    }
}

/// Who a request authenticated as: the credential's name (a token's name
/// or a Basic user name), role and tenants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub tenants: Tenants,
}
