//! Each tenant's adhoc directory kept within bounds, as the profile store
//! keeps its data: files older than `adhoc_max_age` are removed, then the
//! oldest while the directory holds more than `adhoc_max_bytes`. Applied
//! to every tenant's directory at start and to a tenant's at each upload.

use std::fs;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use kiln_api::valid_id;

/// The bounds of one tenant's adhoc files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdhocLimits {
    /// Bytes of profiles one tenant keeps; a larger upload is refused.
    pub max_bytes: u64,
    /// Profiles older than this are removed; kept forever when `None`.
    pub max_age: Option<Duration>,
}

struct Saved {
    name: String,
    len: u64,
    modified: SystemTime,
}

/// Removes what `limits` do not allow in `dir`, oldest first, never
/// `keep` (the file just saved); how many files it removed.
pub fn enforce(dir: &Path, limits: AdhocLimits, keep: Option<&str>, now: SystemTime) -> io::Result<usize> {
    let mut files = saved(dir)?;
    files.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.name.cmp(&b.name)));
    let mut total: u64 = files.iter().map(|f| f.len).sum();
    let mut removed = 0;
    for f in files.iter().filter(|f| Some(f.name.as_str()) != keep) {
        let expired = limits.max_age.is_some_and(|age| now.duration_since(f.modified).unwrap_or_default() > age);
        if !expired && total <= limits.max_bytes {
            break;
        }
        match fs::remove_file(dir.join(&f.name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => removed += 1,
        }
        total -= f.len;
    }
    Ok(removed)
}

/// The profiles of `dir` (regular files named as ids): none when it does
/// not exist yet.
fn saved(dir: &Path) -> io::Result<Vec<Saved>> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other?,
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().filter(|n| valid_id(n)).map(str::to_owned) else { continue };
        let meta = entry.metadata()?;
        if meta.is_file() {
            files.push(Saved { name, len: meta.len(), modified: meta.modified()? });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, len: usize, age_secs: u64, now: SystemTime) {
        let f = fs::File::create(dir.join(name)).unwrap();
        f.set_len(len as u64).unwrap();
        f.set_modified(now - Duration::from_secs(age_secs)).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = saved(dir).unwrap().into_iter().map(|f| f.name).collect();
        n.sort();
        n
    }

    #[test]
    fn the_oldest_files_go_first_until_the_directory_fits() {
        let (dir, now) = (tempfile::tempdir().unwrap(), SystemTime::now());
        write(dir.path(), "old.folded", 40, 300, now);
        write(dir.path(), "mid.folded", 40, 200, now);
        write(dir.path(), "new.folded", 40, 100, now);
        let limits = AdhocLimits { max_bytes: 100, max_age: None };
        assert_eq!(enforce(dir.path(), limits, Some("new.folded"), now).unwrap(), 1);
        assert_eq!(names(dir.path()), ["mid.folded", "new.folded"]);
    }

    #[test]
    fn files_past_the_age_limit_go_but_the_one_just_saved_stays() {
        let (dir, now) = (tempfile::tempdir().unwrap(), SystemTime::now());
        write(dir.path(), "stale.folded", 1, 7200, now);
        write(dir.path(), "fresh.folded", 1, 60, now);
        write(dir.path(), "kept.folded", 1, 9000, now);
        let limits = AdhocLimits { max_bytes: u64::MAX, max_age: Some(Duration::from_secs(3600)) };
        assert_eq!(enforce(dir.path(), limits, Some("kept.folded"), now).unwrap(), 1);
        assert_eq!(names(dir.path()), ["fresh.folded", "kept.folded"]);
    }
}
