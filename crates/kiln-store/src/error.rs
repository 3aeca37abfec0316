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
    /// An object was deleted (replaced by compaction on some node) while
    /// it was being read; queries re-plan on it, so callers see it only
    /// when that keeps happening.
    Gone,
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

    /// A failed write, told to clients without the file system path
    /// `object_store` names: `what` and the innermost I/O error (such as
    /// "No space left on device (os error 28)"). The whole error is logged.
    pub(crate) fn write_failed(what: &str, e: object_store::Error) -> Self {
        tracing::warn!("{what} failed: {e}");
        let mut io = None;
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            io = s.downcast_ref::<std::io::Error>().or(io);
            source = s.source();
        }
        let cause = io
            .map(|io| io.to_string())
            .or_else(|| http_cause(&e))
            .unwrap_or_else(|| "the object store failed (see the server log)".to_owned());
        Error::new(ErrorKind::Storage, format!("{what} failed: {cause}"))
    }
}

/// What a remote object store did, without its URL: the status it kept
/// answering, or that it could not be reached or timed out.
fn http_cause(e: &object_store::Error) -> Option<String> {
    use object_store::client::{HttpError, HttpErrorKind};
    const STATUS: &str = "status code: ";
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(http) = s.downcast_ref::<HttpError>() {
            match http.kind() {
                HttpErrorKind::Timeout => return Some("the object store did not answer in time".into()),
                HttpErrorKind::Connect => return Some("the object store could not be reached".into()),
                _ => {}
            }
        }
        let text = s.to_string();
        if let Some(at) = text.find(STATUS) {
            let status = text[at + STATUS.len()..].split(':').next().unwrap_or_default().trim();
            return Some(format!("the object store answered {status}"));
        }
        source = s.source();
    }
    None
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<object_store::Error> for Error {
    fn from(e: object_store::Error) -> Self {
        let kind = if matches!(e, object_store::Error::NotFound { .. }) { ErrorKind::Gone } else { ErrorKind::Storage };
        Error::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `object_store`'s local store returns: its own error naming the
    /// file, over the I/O error.
    #[derive(Debug)]
    struct Named(std::io::Error);

    impl fmt::Display for Named {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Unable to copy data to file /srv/kiln/store/blocks/t/x.kiln#1: {}", self.0)
        }
    }

    impl std::error::Error for Named {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_failed_write_names_the_io_error_and_no_path() {
        let full = std::io::Error::from_raw_os_error(28);
        let e = object_store::Error::Generic { store: "LocalFileSystem", source: Box::new(Named(full)) };
        let e = Error::write_failed("writing a block", e);
        assert_eq!(e.kind, ErrorKind::Storage);
        assert!(e.message.starts_with("writing a block failed: No space left on device"), "{}", e.message);
        assert!(!e.message.contains('/'), "{}", e.message);
        let other = object_store::Error::Generic { store: "S3", source: "HTTP 500 from s3://bucket/x".into() };
        let e = Error::write_failed("writing a block", other);
        assert_eq!(e.message, "writing a block failed: the object store failed (see the server log)");
    }
}
