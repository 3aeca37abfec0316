//! A `/proc` file kept open and read again from its start with one `pread`
//! per read: a spy reading a process's `stat` or a thread's `schedstat` on
//! every tick saves the `open`, `statx` and `close` around each read (as
//! much CPU as the stack read itself, measured), and stays bound to the task
//! it was opened for even if its pid is reused.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Longest `/proc` text read at first; a longer one grows the buffer.
const FIRST_CAPACITY: usize = 1024;

/// An open `/proc` file and the buffer its text is read into.
pub struct ProcFile {
    file: File,
    buf: Vec<u8>,
}

impl ProcFile {
    /// Opens `path`; `None` when it does not exist (the task is gone).
    pub fn open(path: &str) -> Option<ProcFile> {
        Some(ProcFile { file: File::open(path).ok()?, buf: vec![0; FIRST_CAPACITY] })
    }

    /// The file's whole text now; `None` once the task is gone.
    pub fn read(&mut self) -> Option<&str> {
        loop {
            let n = self.file.read_at(&mut self.buf, 0).ok()?;
            if n < self.buf.len() {
                return std::str::from_utf8(&self.buf[..n]).ok().filter(|text| !text.is_empty());
            }
            let longer = self.buf.len() * 2;
            self.buf.resize(longer, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_proc_file_reads_fresh_text_each_time_and_nothing_once_the_task_is_gone() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().expect("spawn sleep");
        let mut stat = ProcFile::open(&format!("/proc/{}/stat", child.id())).expect("open stat");
        let first = stat.read().expect("read").to_owned();
        assert!(first.contains("(sleep)"), "{first}");
        assert!(stat.read().expect("read again").contains("(sleep)"));
        child.kill().expect("kill");
        child.wait().expect("reap");
        assert_eq!(stat.read(), None, "a reaped process's stat reads nothing");
    }

    #[test]
    fn a_text_longer_than_the_first_buffer_is_read_whole() {
        let mut maps = ProcFile::open("/proc/self/maps").expect("open maps");
        let text = maps.read().expect("read").to_owned();
        assert!(text.len() > FIRST_CAPACITY, "this test binary maps more than 1 KiB of text");
        assert!(text.ends_with('\n') && text.contains("[stack]"), "cut short:\n{text}");
    }
}
