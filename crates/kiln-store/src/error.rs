//! The one error type of `kiln-store`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object store failed (I/O, network, permissions).
    Storage,
    /// A persisted object is damaged: bad magic, checksum or encoding.
    Corrupt,
    /// A persisted object has a format version this build cannot read.
    UnsupportedVersion,
    /// The caller asked for something invalid (e.g. a bad tenant name).
    InvalidArgument,
    /// The store is shutting down.
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }

    pub fn corrupt(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Corrupt, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Self {
        Error::new(ErrorKind::Storage, e.to_string())
    }
}
