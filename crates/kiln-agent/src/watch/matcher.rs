//! Which running processes a `[[process_configs]]` entry means: one pid, a
//! process name (`comm`, or the executable's file name for names longer
//! than the kernel's 15 bytes), or a regular expression over the command
//! line (arguments joined by spaces).

use regex::Regex;

use crate::error::{Error, Result};

/// How processes are picked.
#[derive(Debug, Clone)]
pub enum ProcessMatcher {
    Pid(u32),
    Name(String),
    Cmdline(Regex),
}

impl ProcessMatcher {
    /// A command-line pattern; a bad regular expression is an error naming it.
    pub fn cmdline(pattern: &str) -> Result<ProcessMatcher> {
        Regex::new(pattern)
            .map(ProcessMatcher::Cmdline)
            .map_err(|e| Error::Config(format!("cmdline pattern {pattern:?}: {e}")))
    }

    /// Whether process `pid` is meant; a process that vanished is not.
    pub fn matches(&self, pid: u32) -> bool {
        match self {
            ProcessMatcher::Pid(wanted) => *wanted == pid,
            ProcessMatcher::Name(name) => {
                comm(pid).is_some_and(|c| &c == name) || exe_name(pid).is_some_and(|e| &e == name)
            }
            ProcessMatcher::Cmdline(pattern) => cmdline(pid).is_some_and(|c| pattern.is_match(&c)),
        }
    }
}

/// The pids in `/proc` now, without this process.
pub fn running_pids() -> Vec<u32> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).filter(|&pid| pid != me).collect()
}

/// The kernel's name of a process.
pub fn comm(pid: u32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end().to_owned())
}

fn exe_name(pid: u32) -> Option<String> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Some(exe.file_name()?.to_string_lossy().into_owned())
}

/// The arguments joined by spaces; `None` for a kernel thread or a vanished process.
fn cmdline(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> =
        raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    (!args.is_empty()).then(|| args.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeping_child_is_matched_by_pid_name_and_command_line_and_others_are_not() {
        let mut child = std::process::Command::new("sleep").arg("7.25").spawn().expect("spawn sleep");
        let pid = child.id();
        // Until it has called exec, the child is a copy of this test; exec
        // names the process before it lays out the new arguments.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let execed = || comm(pid).as_deref() == Some("sleep") && cmdline(pid).is_some_and(|c| c.starts_with("sleep"));
        while !execed() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(ProcessMatcher::Pid(pid).matches(pid));
        assert!(!ProcessMatcher::Pid(pid).matches(pid + 1));
        assert!(ProcessMatcher::Name("sleep".into()).matches(pid));
        assert!(!ProcessMatcher::Name("sleepy".into()).matches(pid));
        assert!(ProcessMatcher::cmdline(r"^sleep 7\.25$").unwrap().matches(pid));
        assert!(!ProcessMatcher::cmdline(r"sleep 8").unwrap().matches(pid));
        assert!(running_pids().contains(&pid));
        assert!(!running_pids().contains(&std::process::id()), "the agent never watches itself");
        child.kill().expect("kill");
        child.wait().expect("reap");
        assert!(!ProcessMatcher::Name("sleep".into()).matches(pid), "a reaped process matches nothing");
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let e = ProcessMatcher::cmdline("java (").unwrap_err();
        assert!(e.to_string().contains("\"java (\""), "{e}");
    }
}
