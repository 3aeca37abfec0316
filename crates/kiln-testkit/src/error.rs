use std::path::PathBuf;

/// Why a cluster could not be started or driven.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no garage binary at {0} (scripts/test.sh installs it; KILN_GARAGE_BIN names another)")]
    MissingBinary(PathBuf),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("`garage {args}` failed ({status}):\n{output}")]
    Command { args: String, status: String, output: String },
    #[error("{what} not reached within {seconds} s; node logs:\n{logs}")]
    Timeout { what: String, seconds: u64, logs: String },
    #[error("no node {0} in the cluster")]
    NoSuchNode(usize),
    #[error("unexpected answer from {what}: {answer}")]
    Unexpected { what: String, answer: String },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}
