//! Where a tenant's adhoc profiles live: the adhoc directory itself for
//! the default tenant (where `kiln adhoc` saves its runs), else
//! `tenants/<name>` below it. The name is the tenant with every byte but
//! `[A-Za-z0-9_-]` percent-encoded (so no `.`, `..` or separator), or, when
//! that would be long, `=` and the tenant's SHA-256 in hex (`=` is never
//! part of an encoded name, so the two forms cannot meet).

use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use kiln_api::DEFAULT_TENANT;

/// The folder below the adhoc directory holding the other tenants'.
const TENANTS: &str = "tenants";
/// Longest encoded name kept as it is.
const MAX_NAME: usize = 128;

/// The directory of `tenant`'s profiles under `root`.
pub fn of(root: &Path, tenant: &str) -> PathBuf {
    if tenant == DEFAULT_TENANT {
        return root.to_path_buf();
    }
    root.join(TENANTS).join(name(tenant))
}

/// Every tenant directory that exists under `root`.
pub fn all(root: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(root.join(TENANTS)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other?,
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    Ok(dirs)
}

fn name(tenant: &str) -> String {
    let mut encoded = String::with_capacity(tenant.len());
    for b in tenant.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            encoded.push(b as char);
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    if encoded.len() <= MAX_NAME {
        return encoded;
    }
    format!("={}", kiln_api::auth::sha256_hex(tenant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_become_one_safe_path_segment() {
        let root = Path::new("/data/adhoc");
        assert_eq!(of(root, "anonymous"), root);
        assert_eq!(of(root, "team-a"), root.join("tenants/team-a"));
        assert_eq!(of(root, ".."), root.join("tenants/%2E%2E"));
        assert_eq!(of(root, "a/b"), root.join("tenants/a%2Fb"));
    }

    #[test]
    fn a_long_tenant_name_is_hashed_under_the_file_name_limit() {
        let long = "!".repeat(150);
        let dir = name(&long);
        assert!(dir.starts_with('=') && dir.len() == 65, "{dir}");
        assert_ne!(name(&"!".repeat(149)), dir);
    }
}
