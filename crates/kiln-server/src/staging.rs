//! Leftovers of uploads a crash interrupted. `object_store`'s local
//! filesystem writes `<name>#<n>` and renames it into place; a process
//! killed in between leaves the staging file, which no listing shows and
//! nothing deletes. At start, before any upload can be in flight, they go.

use std::path::Path;

/// Deletes staging files under `dir`; returns how many.
pub fn remove_staging_files(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if is_staging(&path) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// `<something>.kiln#<digits>`.
fn is_staging(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.rsplit_once('#')
        .is_some_and(|(base, n)| base.ends_with(".kiln") && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
