//! TLS from a PEM certificate chain and key, read again when either file
//! changes: each handshake compares the files' modification times and
//! sizes with those last read (two `stat`s), and a changed pair is loaded
//! before the certificate is chosen. A pair that does not load (a key
//! written after its certificate, a broken file) leaves the last good
//! certificate in use until the files change again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::error::ServerError;

/// What identifies a version of the two files.
type Stamp = [Option<(SystemTime, u64)>; 2];

/// An acceptor serving the certificate in `cert`, HTTP/2 or HTTP/1.1 by ALPN.
pub fn acceptor(cert: PathBuf, key: PathBuf) -> Result<TlsAcceptor, ServerError> {
    // ring builds without cmake or a prebuilt library; its only lack, and
    // the reason rustls marks it deprecated, is post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(ring::default_provider());
    let files = CertFiles::open(cert, key, provider.clone())?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(files));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[derive(Debug)]
struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<(Stamp, Arc<CertifiedKey>)>,
}

impl CertFiles {
    fn open(cert: PathBuf, key: PathBuf, provider: Arc<CryptoProvider>) -> Result<CertFiles, ServerError> {
        let stamp = stamp(&cert, &key);
        let loaded = load(&cert, &key, &provider).map_err(ServerError::Config)?;
        Ok(CertFiles { cert, key, provider, current: RwLock::new((stamp, loaded)) })
    }

    /// The certificate to serve, loaded again first if the files changed.
    fn current(&self) -> Arc<CertifiedKey> {
        let stamp = stamp(&self.cert, &self.key);
        {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            if current.0 == stamp {
                return current.1.clone();
            }
        }
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.0 != stamp {
            match load(&self.cert, &self.key, &self.provider) {
                Ok(loaded) => current.1 = loaded,
                Err(e) => tracing::warn!("{e}; still serving the certificate loaded before"),
            }
            current.0 = stamp;
        }
        current.1.clone()
    }
}

impl ResolvesServerCert for CertFiles {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn stamp(cert: &Path, key: &Path) -> Stamp {
    let of =
        |p: &Path| std::fs::metadata(p).ok().map(|m| (m.modified().ok().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
    [of(cert), of(key)]
}

/// The chain and key in the files, checked to belong together.
fn load(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("TLS certificate {}: no certificate in the file", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("TLS key {}: {e}", key.display()))?;
    let certified = CertifiedKey::from_der(chain, private, provider)
        .map_err(|e| format!("TLS key {} for certificate {}: {e}", key.display(), cert.display()))?;
    Ok(Arc::new(certified))
}
