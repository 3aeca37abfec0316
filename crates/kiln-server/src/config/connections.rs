//! The keys about connections: how many, how long each phase of a request
//! may take, how long shutdown waits, and TLS. They are top-level keys like
//! the others (`max_connections = 2000`, `KILN_IDLE_TIMEOUT=30s`), kept in
//! their own struct so the serving loop gets exactly what it needs.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::durations;
use super::sources::field_names;

/// Connection limits, timeouts and TLS. A timeout of `0` turns it off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Connections {
    /// Most connections served at once; fewer when the open-file limit
    /// cannot hold them. A connection past the limit closes the oldest idle
    /// one, or is closed at once when none is idle.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, counted from when
    /// the server starts waiting for them (for HTTP/1 that includes a
    /// kept-alive connection waiting for its next request), and for the
    /// TLS handshake.
    #[serde(deserialize_with = "durations::required")]
    pub header_read_timeout: Duration,
    /// Time a request's whole body has to arrive once its headers are read.
    #[serde(deserialize_with = "durations::required")]
    pub body_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    #[serde(deserialize_with = "durations::required")]
    pub idle_timeout: Duration,
    /// On SIGTERM, how long requests in flight may take to finish before
    /// their connections are cut and the store is flushed.
    #[serde(deserialize_with = "durations::required")]
    pub shutdown_timeout: Duration,
    /// PEM certificate chain; with `tls_key_file`, the port serves TLS
    /// only, and both files are read again when either changes.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`'s certificate.
    pub tls_key_file: Option<PathBuf>,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(20),
            body_read_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(30),
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

impl Connections {
    /// The keys of this struct, as serde lists them.
    pub fn keys() -> &'static [&'static str] {
        field_names::<Connections>()
    }

    /// The TLS files, when both are set; an error when only one is.
    pub fn tls_files(&self) -> Result<Option<(PathBuf, PathBuf)>, String> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Ok(Some((cert.clone(), key.clone()))),
            (None, None) => Ok(None),
            _ => Err("tls_cert_file and tls_key_file must be set together".into()),
        }
    }
}

/// `Some(d)`, or `None` for a timeout of `0` (off).
pub fn enabled(timeout: Duration) -> Option<Duration> {
    Some(timeout).filter(|d| !d.is_zero())
}
