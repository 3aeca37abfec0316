//! The agent's one error type.

use std::io;

/// What went wrong while starting, running or stopping a sampler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The target process does not exist (or exited before sampling began).
    #[error("no such process: {0}")]
    NoSuchProcess(u32),
    /// `perf_event_open` refused the event (permissions, `perf_event_paranoid`, seccomp).
    #[error("perf_event_open for pid {pid} on cpu {cpu}: {source}")]
    PerfOpen { pid: u32, cpu: i32, source: io::Error },
    /// A system-wide event was refused: whole-host profiling needs root,
    /// `CAP_PERFMON`, or `kernel.perf_event_paranoid = -1`.
    #[error(
        "system-wide perf_event_open on cpu {cpu} (run as root or with CAP_PERFMON, or set \
         kernel.perf_event_paranoid to -1): {source}"
    )]
    HostPerfOpen { cpu: i32, source: io::Error },
    /// Another system call failed.
    #[error("{what}: {source}")]
    Io { what: &'static str, source: io::Error },
    /// The sampler's reader thread panicked.
    #[error("the sampler's reader thread panicked")]
    ReaderPanicked,
    /// The Python spy found no CPython interpreter it can read in the target.
    #[error("pid {pid} is not a Python process: {reason}")]
    NotPython { pid: u32, reason: String },
    /// The Python spy may not read the target's memory.
    #[error(
        "no permission to read the memory of pid {pid} (run kiln as the target's user or root, \
         or set kernel.yama.ptrace_scope to 0): {message}"
    )]
    PythonPermission { pid: u32, message: String },
    /// The Ruby spy never read a Ruby stack: the target is not a Ruby (MRI)
    /// process, or runs a Ruby version rbspy does not know.
    #[error("the Ruby spy could not read Ruby stacks from pid {pid} (is it a Ruby process?): {message}")]
    RubySpy { pid: u32, message: String },
    /// A URL kiln cannot use (not `http://`, no host, a bad port).
    #[error("{0}")]
    Url(String),
    /// An HTTP exchange failed: connecting, sending, reading, a timeout, or
    /// an answer other than 2xx.
    #[error("{0}")]
    Http(String),
    /// A profile pushed or scraped could not be decoded or merged.
    #[error("{what}: {source}")]
    Profile { what: String, source: kiln_model::Error },
    /// `kiln agent`'s configuration, a file_sd file, or a process pattern is not valid.
    #[error("{0}")]
    Config(String),
    /// A pull run ended without one successful scrape; `source` is the last failure.
    #[error("no profile could be scraped from {url}")]
    NothingScraped { url: String, source: Box<dyn std::error::Error + Send + Sync> },
}

impl Error {
    /// An [`Error::Io`] from the last OS error.
    pub(crate) fn last_os(what: &'static str) -> Self {
        Error::Io { what, source: io::Error::last_os_error() }
    }
}

/// The agent's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
