//! What the Python spy reads from `/proc`: a process's state, whether a
//! CPython interpreter is mapped into it, and its descendants.

use std::os::unix::fs::DirEntryExt;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::proc_file::ProcFile;

/// The fields of `/proc/PID/stat` the spy needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The state letter (`R`, `S`, `t`, `Z`, ...).
    pub state: u8,
    /// The parent's pid.
    pub ppid: u32,
    /// Where the main stack starts: randomized anew by every `exec`, so a
    /// change means the process now runs another program image.
    pub start_stack: u64,
}

impl Stat {
    /// Stopped by a signal or a tracer (e.g. held at `exec` by `spawn_paused`):
    /// it cannot make progress until resumed.
    pub fn stopped(self) -> bool {
        matches!(self.state, b't' | b'T')
    }
}

/// The process's stat, or `None` once it is gone or a zombie.
pub fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    live(parse_stat(&text)?)
}

/// A process's `/proc/PID/stat` kept open, for reading on every tick.
pub struct StatFile(ProcFile);

impl StatFile {
    /// `None` when the process is gone.
    pub fn open(pid: u32) -> Option<StatFile> {
        ProcFile::open(&format!("/proc/{pid}/stat")).map(StatFile)
    }

    /// The process's stat now, or `None` once it is gone or a zombie.
    pub fn read(&mut self) -> Option<Stat> {
        live(parse_stat(self.0.read()?)?)
    }
}

fn live(stat: Stat) -> Option<Stat> {
    (stat.state != b'Z' && stat.state != b'X').then_some(stat)
}

/// Parses the fields after `(comm)`, which may itself hold spaces and parentheses.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // `fields[0]` is field 3 of proc(5) (state); startstack is field 28.
    Some(Stat {
        state: *fields.first()?.as_bytes().first()?,
        ppid: fields.get(1)?.parse().ok()?,
        start_stack: fields.get(25)?.parse().ok()?,
    })
}

/// Whether a CPython interpreter (a `python*` executable or a `libpython*`
/// library) is mapped into the process: cheap enough to poll, and a
/// precondition for py-spy, which looks for exactly these mappings.
pub fn maps_python(pid: u32) -> bool {
    let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return false;
    };
    maps.lines().filter_map(|line| line.split_ascii_whitespace().nth(5)).any(|path| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.starts_with("python") || file.starts_with("libpython")
    })
}

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
    fn stat_fields_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let mut text = String::from("42 (a (b) c) S 7");
        for field in 5..=27 {
            text.push_str(&format!(" {field}"));
        }
        text.push_str(" 140737 29 30\n");
        let stat = parse_stat(&text).expect("parsed");
        assert_eq!(stat, Stat { state: b'S', ppid: 7, start_stack: 140737 });
    }

    #[test]
    fn our_own_process_is_alive_and_not_python() {
        let me = stat(std::process::id()).expect("our own stat");
        assert!(!me.stopped());
        assert_eq!(StatFile::open(std::process::id()).and_then(|mut f| f.read()), Some(me));
        assert!(!maps_python(std::process::id()));
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
