//! A process's `/proc/PID/stat`: its state, parent and program image, read
//! once or kept open for reading on every tick.

use crate::proc_file::ProcFile;

/// The fields of `/proc/PID/stat` the spies need.
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

/// The fields of a `stat` text after `(comm)`, which may itself hold spaces
/// and parentheses: `fields[0]` is field 3 of proc(5).
pub fn fields_after_comm(text: &str) -> Option<Vec<&str>> {
    Some(text[text.rfind(')')? + 1..].split_ascii_whitespace().collect())
}

fn parse_stat(text: &str) -> Option<Stat> {
    let fields = fields_after_comm(text)?;
    // state is field 3 of proc(5), ppid field 4, startstack field 28.
    Some(Stat {
        state: *fields.first()?.as_bytes().first()?,
        ppid: fields.get(1)?.parse().ok()?,
        start_stack: fields.get(25)?.parse().ok()?,
    })
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
    fn our_own_process_is_alive_and_its_open_stat_reads_the_same() {
        let me = stat(std::process::id()).expect("our own stat");
        assert!(!me.stopped());
        assert_eq!(StatFile::open(std::process::id()).and_then(|mut f| f.read()), Some(me));
    }
}
