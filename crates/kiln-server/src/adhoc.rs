//! The adhoc directory, `<data_dir>/adhoc`, as the API's `AdhocStore`:
//! where `kiln adhoc` saves each run (`<name>-<YYYY-MM-DD-HH-MM-SS>.pb.gz`)
//! and where uploads go. The default tenant (`anonymous`) owns the
//! directory itself; any other tenant its own `tenants/<name>` below it
//! (`tenant_dir.rs`), so no tenant lists, reads or fills another's. A
//! profile's id is its file name; it was uploaded when the file was last
//! modified. Each tenant's directory is kept within [`AdhocLimits`]
//! (`quota.rs`). Files are read and written on the
//! blocking pool; an upload is written to a hidden temporary file and
//! linked into place, so a crash never leaves a partial profile.

mod quota;
mod tenant_dir;

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kiln_api::{display_name, valid_id, AdhocFile, AdhocStore, Answer, ApiError, ApiErrorKind};

pub use quota::AdhocLimits;

/// Largest adhoc file read, in bytes.
const MAX_FILE_BYTES: u64 = 256 << 20;
/// Prefix of the temporary files uploads are written to (hidden, so never listed).
const TEMP_PREFIX: &str = ".upload-";

/// A directory of adhoc profiles, one per tenant.
pub struct AdhocDir {
    root: PathBuf,
    temp_seq: Arc<AtomicU64>,
    limits: AdhocLimits,
}

impl AdhocDir {
    /// Creates the directory if missing, removes temporary files an
    /// interrupted upload left in it and in every tenant's, and brings each
    /// within `limits`.
    pub fn open(root: PathBuf, limits: AdhocLimits) -> io::Result<AdhocDir> {
        fs::create_dir_all(&root)?;
        for dir in std::iter::once(root.clone()).chain(tenant_dir::all(&root)?) {
            remove_temp_files(&dir)?;
            let removed = quota::enforce(&dir, limits, None, SystemTime::now())?;
            if removed > 0 {
                tracing::info!("removed {removed} adhoc profiles past adhoc_max_age or adhoc_max_bytes");
            }
        }
        Ok(AdhocDir { root, temp_seq: Arc::new(AtomicU64::new(0)), limits })
    }
}

fn remove_temp_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

impl AdhocStore for AdhocDir {
    fn list<'a>(&'a self, tenant: &'a str) -> Answer<'a, Vec<AdhocFile>> {
        let dir = tenant_dir::of(&self.root, tenant);
        Box::pin(blocking(move || list(&dir).map_err(|e| io_error("listing the adhoc directory", &e))))
    }

    fn read<'a>(&'a self, tenant: &'a str, id: &'a str) -> Answer<'a, (AdhocFile, Vec<u8>)> {
        let (dir, id) = (tenant_dir::of(&self.root, tenant), id.to_owned());
        Box::pin(blocking(move || read(&dir, &id)))
    }

    fn save<'a>(&'a self, tenant: &'a str, stem: &'a str, ext: &'a str, data: Vec<u8>) -> Answer<'a, AdhocFile> {
        let (dir, stem, ext) = (tenant_dir::of(&self.root, tenant), stem.to_owned(), ext.to_owned());
        let temp = format!("{TEMP_PREFIX}{}-{}", std::process::id(), self.temp_seq.fetch_add(1, Ordering::Relaxed));
        let limits = self.limits;
        Box::pin(blocking(move || {
            if data.len() as u64 > limits.max_bytes {
                let message = format!(
                    "the profile is {} bytes, over the adhoc quota of {} bytes per tenant (adhoc_max_bytes)",
                    data.len(),
                    limits.max_bytes
                );
                return Err(ApiError::new(ApiErrorKind::TooLarge, "adhoc_quota", message));
            }
            fs::create_dir_all(&dir).map_err(|e| io_error("creating the tenant's adhoc directory", &e))?;
            let file = save(&dir, &temp, &stem, &ext, &data).map_err(|e| io_error("saving an adhoc profile", &e))?;
            quota::enforce(&dir, limits, Some(&file.id), SystemTime::now())
                .map_err(|e| io_error("applying the adhoc quota", &e))?;
            Ok(file)
        }))
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| io_error("adhoc directory task", &io::Error::other(e)))?
}

fn io_error(what: &str, e: &io::Error) -> ApiError {
    ApiError::new(ApiErrorKind::Internal, "adhoc_dir", format!("{what}: {e}"))
}

fn describe(file_name: &str, meta: &Metadata) -> AdhocFile {
    let modified = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    AdhocFile {
        id: file_name.to_owned(),
        name: display_name(file_name).to_owned(),
        uploaded_at_ms: modified.map_or(0, |d| d.as_millis() as i64),
    }
}

/// Every regular file (or link to one) whose name is a valid id; none
/// when the tenant has no directory yet.
fn list(dir: &Path) -> io::Result<Vec<AdhocFile>> {
    let mut files = Vec::new();
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
        other => other?,
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().filter(|n| valid_id(n)).map(str::to_owned) else { continue };
        match fs::metadata(entry.path()) {
            Ok(meta) if meta.is_file() => files.push(describe(&name, &meta)),
            // A dangling link or a file removed meanwhile is not a profile.
            _ => continue,
        }
    }
    Ok(files)
}

fn read(dir: &Path, id: &str) -> Result<(AdhocFile, Vec<u8>), ApiError> {
    let not_found = || ApiError::new(ApiErrorKind::NotFound, "adhoc_id", format!("adhoc profile {id} not found"));
    if !valid_id(id) {
        return Err(not_found());
    }
    let path = dir.join(id);
    let meta = match fs::metadata(&path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Err(not_found()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => return Err(io_error(&format!("reading adhoc profile {id}"), &e)),
    };
    if meta.len() > MAX_FILE_BYTES {
        let message = format!("adhoc profile {id} is {} bytes, over the limit of {MAX_FILE_BYTES}", meta.len());
        return Err(ApiError::new(ApiErrorKind::TooLarge, "adhoc_file", message));
    }
    let data = fs::read(&path).map_err(|e| io_error(&format!("reading adhoc profile {id}"), &e))?;
    Ok((describe(id, &meta), data))
}

/// Writes `data` to `temp`, then links it as the first free name of
/// `<stem>.<ext>`, `<stem>-2.<ext>`, ...
fn save(dir: &Path, temp: &str, stem: &str, ext: &str, data: &[u8]) -> io::Result<AdhocFile> {
    let temp = dir.join(temp);
    let mut f = File::create(&temp)?;
    f.write_all(data)?;
    f.sync_all()?;
    let linked = (1..=1000).find_map(|n| {
        let name = if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") };
        match fs::hard_link(&temp, dir.join(&name)) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
            other => Some(other.map(|()| name)),
        }
    });
    fs::remove_file(&temp)?;
    let name = linked.unwrap_or_else(|| Err(io::Error::other(format!("no free file name for {stem}.{ext}"))))?;
    File::open(dir)?.sync_all()?;
    let meta = OpenOptions::new().read(true).open(dir.join(&name))?.metadata()?;
    Ok(describe(&name, &meta))
}
