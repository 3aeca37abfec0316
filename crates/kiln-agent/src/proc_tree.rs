//! A target's process tree, followed across scans of `/proc`.

use std::os::unix::fs::DirEntryExt;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::proc_stat::stat;

/// Follows a process tree across `/proc` scans: a process belongs to it when
/// its parent did at some scan, so children orphaned by a parent that exited
/// in between stay in the tree, and so do their own children.
pub struct TreeWatch {
    members: FxHashSet<u32>,
    /// Each process's parent as read at an earlier scan, keyed by pid with
    /// the inode of its `/proc` directory (new for a new process, even one
    /// reusing a pid): a scan reads the `stat` of new processes only.
    parents: FxHashMap<u32, (u64, u32)>,
}

impl TreeWatch {
    /// A tree rooted at `root`.
    pub fn new(root: u32) -> TreeWatch {
        TreeWatch { members: std::iter::once(root).collect(), parents: FxHashMap::default() }
    }

    /// Scans `/proc` and returns the live members, the root included if alive.
    pub fn scan(&mut self) -> Vec<u32> {
        self.parents = self.all_parents();
        self.members.retain(|pid| self.parents.contains_key(pid));
        loop {
            let before = self.members.len();
            for (&pid, &(_, ppid)) in &self.parents {
                if self.members.contains(&ppid) {
                    self.members.insert(pid);
                }
            }
            if self.members.len() == before {
                break;
            }
        }
        let mut live: Vec<u32> = self.members.iter().copied().collect();
        live.sort_unstable();
        live
    }

    /// Every live process's `/proc` inode and parent; zombies are left out
    /// when first seen (a zombie member stays until reaped, and maps nothing).
    fn all_parents(&self) -> FxHashMap<u32, (u64, u32)> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return FxHashMap::default();
        };
        dir.filter_map(|entry| {
            let entry = entry.ok()?;
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let ino = entry.ino();
            match self.parents.get(&pid) {
                Some(&(known, ppid)) if known == ino => Some((pid, (ino, ppid))),
                _ => Some((pid, (ino, stat(pid)?.ppid))),
            }
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_the_root_of_its_tree() {
        assert!(TreeWatch::new(std::process::id()).scan().contains(&std::process::id()));
    }

    #[test]
    fn a_tree_watch_finds_children_and_grandchildren_started_between_scans() {
        let mut watch = TreeWatch::new(std::process::id());
        watch.scan();
        let mut shell = std::process::Command::new("sh").args(["-c", "sleep 5 & wait"]).spawn().expect("spawn sh");
        let found = (0..100).find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let live = watch.scan();
            let grandchild = live.iter().find(|&&pid| stat(pid).is_some_and(|s| s.ppid == shell.id()));
            grandchild.map(|&pid| (live.contains(&shell.id()), pid))
        });
        shell.kill().expect("kill sh");
        shell.wait().expect("reap sh");
        let (has_child, grandchild) = found.expect("the shell's sleep joined the tree");
        assert!(has_child);
        // SAFETY: kill has no memory preconditions; the sleep is our grandchild.
        unsafe { libc::kill(grandchild as i32, libc::SIGKILL) };
    }
}
