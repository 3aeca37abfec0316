//! File service discovery as Prometheus does it: JSON files (glob
//! patterns) holding `[{"targets": ["host:port", ...], "labels": {...}}]`.
//! [`FileSd::refresh`] lists the patterns again and reads a file only when
//! its modification time or size changed, so polling every few seconds is
//! cheap. A file that cannot be read or parsed is logged and its previous
//! targets are kept, as Prometheus keeps them; a file that disappears takes
//! its targets with it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use super::config::{check_labels, check_target};
use super::target::TargetGroup;
use crate::error::{Error, Result};

/// What identifies a version of a file without reading it.
type Fingerprint = (Option<SystemTime>, u64);

/// The groups read from one job's file_sd patterns.
#[derive(Debug)]
pub struct FileSd {
    patterns: Vec<String>,
    files: BTreeMap<PathBuf, (Fingerprint, Vec<TargetGroup>)>,
}

impl FileSd {
    pub fn new(patterns: Vec<String>) -> FileSd {
        FileSd { patterns, files: BTreeMap::new() }
    }

    /// Looks at the files again; returns whether the groups changed. Blocking
    /// file system work: run it off the async runtime.
    pub fn refresh(&mut self) -> bool {
        let before = self.groups();
        let mut next = BTreeMap::new();
        for path in self.list() {
            let fingerprint = std::fs::metadata(&path).map(|m| (m.modified().ok(), m.len())).unwrap_or((None, 0));
            let entry = match self.files.remove(&path) {
                Some((seen, groups)) if seen == fingerprint => (seen, groups),
                old => match read(&path) {
                    Ok(groups) => (fingerprint, groups),
                    Err(e) => {
                        eprintln!("kiln agent: file_sd {}: {e}; keeping its previous targets", path.display());
                        (fingerprint, old.map(|(_, groups)| groups).unwrap_or_default())
                    }
                },
            };
            next.insert(path, entry);
        }
        self.files = next;
        self.groups() != before
    }

    /// Every group of every file.
    pub fn groups(&self) -> Vec<TargetGroup> {
        self.files.values().flat_map(|(_, groups)| groups.iter().cloned()).collect()
    }

    fn list(&self) -> Vec<PathBuf> {
        let mut paths = Vec::new();
        for pattern in &self.patterns {
            match glob::glob(pattern) {
                Ok(found) => paths.extend(found.filter_map(|p| p.ok()).filter(|p| p.is_file())),
                Err(e) => eprintln!("kiln agent: file_sd pattern {pattern:?}: {e}"),
            }
        }
        paths.sort();
        paths.dedup();
        paths
    }
}

/// One file's groups, every target and label checked.
fn read(path: &std::path::Path) -> Result<Vec<TargetGroup>> {
    let text = std::fs::read(path).map_err(|source| Error::Io { what: "reading a file_sd file", source })?;
    let groups: Vec<TargetGroup> = serde_json::from_slice(&text)
        .map_err(|e| Error::Config(format!("not a file_sd list of {{\"targets\", \"labels\"}}: {e}")))?;
    for group in &groups {
        group.targets.iter().try_for_each(|t| check_target(t)).map_err(Error::Config)?;
        check_labels(&group.labels).map_err(Error::Config)?;
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &std::path::Path, text: &str) {
        std::fs::write(path, text).unwrap();
        // A later modification time than the last write, even on a coarse clock.
        let later = SystemTime::now() + std::time::Duration::from_secs(1);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(later).unwrap();
    }

    fn addresses(sd: &FileSd) -> Vec<String> {
        sd.groups().into_iter().flat_map(|g| g.targets).collect()
    }

    #[test]
    fn files_matching_the_pattern_are_read_again_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        write(&a, r#"[{"targets": ["127.0.0.1:1", "127.0.0.1:2"], "labels": {"service_name": "x"}}]"#);
        std::fs::write(dir.path().join("ignored.txt"), "not json").unwrap();
        let mut sd = FileSd::new(vec![format!("{}/*.json", dir.path().display())]);
        assert!(sd.refresh());
        assert_eq!(addresses(&sd), ["127.0.0.1:1", "127.0.0.1:2"]);
        assert_eq!(sd.groups()[0].labels["service_name"], "x");
        assert!(!sd.refresh(), "nothing changed");
        write(&a, r#"[{"targets": ["127.0.0.1:2"]}]"#);
        assert!(sd.refresh());
        assert_eq!(addresses(&sd), ["127.0.0.1:2"]);
        write(&dir.path().join("b.json"), r#"[{"targets": ["127.0.0.1:3"]}]"#);
        assert!(sd.refresh());
        assert_eq!(addresses(&sd), ["127.0.0.1:2", "127.0.0.1:3"]);
        std::fs::remove_file(&a).unwrap();
        assert!(sd.refresh());
        assert_eq!(addresses(&sd), ["127.0.0.1:3"], "a removed file takes its targets with it");
    }

    #[test]
    fn a_broken_file_keeps_its_previous_targets() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.json");
        write(&a, r#"[{"targets": ["127.0.0.1:1"]}]"#);
        let mut sd = FileSd::new(vec![a.display().to_string()]);
        sd.refresh();
        write(&a, r#"[{"targets": ["127.0.0.1:1"], "labelz": {}}]"#);
        assert!(!sd.refresh());
        assert_eq!(addresses(&sd), ["127.0.0.1:1"]);
        write(&a, r#"[{"targets": ["http://127.0.0.1:1/x"]}]"#);
        assert!(!sd.refresh(), "a target that is not host:port is refused");
        assert!(read(&a).unwrap_err().to_string().contains("write host:port"));
        assert!(read(&dir.path().join("none.json")).is_err());
    }
}
