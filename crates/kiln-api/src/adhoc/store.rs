//! The adhoc profile store the adhoc routes read and write: a directory of
//! profile files (what `kiln adhoc` saves, and uploads), behind a trait so
//! the routes are tested without one. `kiln-server` implements it over
//! `<data_dir>/adhoc`.

use std::sync::Arc;

use crate::error::ApiError;
use crate::query::Answer;

/// One saved profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhocFile {
    /// Stable and path-safe: the file name (see [`valid_id`]).
    pub id: String,
    /// What people call it: the file name without its timestamp and
    /// extension (`myapp` for `myapp-2026-01-02-03-04-05.pb.gz`).
    pub name: String,
    /// When it was saved, in Unix milliseconds.
    pub uploaded_at_ms: i64,
}

/// Where adhoc profiles live, each tenant's apart: no call for one tenant
/// sees or changes another's files. Ids given to [`AdhocStore::read`] have
/// passed [`valid_id`].
pub trait AdhocStore: Send + Sync {
    /// Every profile the tenant saved, in any order.
    fn list<'a>(&'a self, tenant: &'a str) -> Answer<'a, Vec<AdhocFile>>;
    /// One of the tenant's profiles and its bytes; `NotFound` for an
    /// unknown id.
    fn read<'a>(&'a self, tenant: &'a str, id: &'a str) -> Answer<'a, (AdhocFile, Vec<u8>)>;
    /// Saves `data` for the tenant as a new file `<stem>.<extension>` (or
    /// a free variant of that name) and describes it. `stem` is path-safe.
    fn save<'a>(&'a self, tenant: &'a str, stem: &'a str, extension: &'a str, data: Vec<u8>) -> Answer<'a, AdhocFile>;
}

/// One tenant's files: what the routes hold once they know the tenant.
pub(crate) struct TenantFiles {
    pub store: Arc<dyn AdhocStore>,
    pub tenant: String,
}

impl TenantFiles {
    pub async fn list(&self) -> Result<Vec<AdhocFile>, ApiError> {
        self.store.list(&self.tenant).await
    }

    pub async fn read(&self, id: &str) -> Result<(AdhocFile, Vec<u8>), ApiError> {
        self.store.read(&self.tenant, id).await
    }

    pub async fn save(&self, stem: &str, extension: &str, data: Vec<u8>) -> Result<AdhocFile, ApiError> {
        self.store.save(&self.tenant, stem, extension, data).await
    }
}

/// Whether `id` can name a file of the store and nothing outside it: 1 to
/// 255 characters of `[A-Za-z0-9._-]`, not starting with a dot (so no
/// `..`, no hidden files, no separators).
pub fn valid_id(id: &str) -> bool {
    (1..=255).contains(&id.len()) && !id.starts_with('.') && id.bytes().all(safe_byte)
}

/// The id, or `invalid_argument` saying what ids look like.
pub(crate) fn checked_id(id: &str) -> Result<&str, ApiError> {
    if valid_id(id) {
        return Ok(id);
    }
    Err(ApiError::invalid("adhoc_id", format!("id {id:?} is invalid: ids are file names of [A-Za-z0-9._-]")))
}

fn safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-".contains(&b)
}

/// An upload's name as a file name part: every other character becomes
/// `_`, as Pyroscope does, and a leading dot too; `profile` when empty.
pub(crate) fn file_stem(name: &str) -> String {
    let mut stem: String = name.chars().map(|c| if c.is_ascii() && safe_byte(c as u8) { c } else { '_' }).collect();
    stem.truncate(200);
    if stem.starts_with('.') {
        stem.replace_range(..1, "_");
    }
    if stem.is_empty() {
        "profile".to_owned()
    } else {
        stem
    }
}

/// The name a file goes by: the part before its last
/// `-YYYY-MM-DD-HH-MM-SS` timestamp, else the whole file name.
pub fn display_name(file_name: &str) -> &str {
    const PATTERN: &[u8] = b"-0000-00-00-00-00-00";
    let b = file_name.as_bytes();
    let matches = |at: usize| {
        b[at..at + PATTERN.len()].iter().zip(PATTERN).all(|(c, p)| if *p == b'0' { c.is_ascii_digit() } else { c == p })
    };
    match (0..=b.len().saturating_sub(PATTERN.len())).rev().find(|&at| b.len() >= PATTERN.len() && matches(at)) {
        Some(0) | None => file_name,
        Some(at) => &file_name[..at],
    }
}
