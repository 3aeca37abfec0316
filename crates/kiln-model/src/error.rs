//! The one error type of `kiln-model`: every decoder reports which format it
//! was reading, where in the input it stopped, and why.

use std::fmt;

/// Where in the input a decoder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Unknown or not meaningful (e.g. a whole-message check).
    None,
    /// A byte offset into the (decompressed) input.
    Byte(u64),
    /// A 1-based line number of a text input.
    Line(u64),
}

/// What kind of failure this is, so callers (the HTTP layer) can map it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not valid in the format it claims to be.
    Malformed,
    /// The input exceeds a size bound (decompression bombs, huge fields).
    TooLarge,
    /// The input's format could not be recognised.
    UnknownFormat,
    /// An argument (a name, a profile type id, a selector) is invalid.
    InvalidArgument,
}

/// The error every fallible function of `kiln-model` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The format or thing being read, e.g. `"pprof"`, `"folded"`, `"profile type"`.
    pub format: &'static str,
    pub position: Position,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn malformed(format: &'static str, position: Position, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Malformed, format, position, message: message.into() }
    }

    pub fn too_large(format: &'static str, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::TooLarge, format, position: Position::None, message: message.into() }
    }

    pub fn invalid(format: &'static str, message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::InvalidArgument, format, position: Position::None, message: message.into() }
    }

    pub fn unknown_format(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::UnknownFormat, format: "input", position: Position::None, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::None => write!(f, "{}: {}", self.format, self.message),
            Position::Byte(b) => write!(f, "{} at byte {}: {}", self.format, b, self.message),
            Position::Line(l) => write!(f, "{} at line {}: {}", self.format, l, self.message),
        }
    }
}

impl std::error::Error for Error {}
