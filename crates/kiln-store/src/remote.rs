//! Object stores named by URL: `s3://bucket/prefix` (AWS S3 and any
//! S3-compatible store such as Garage or MinIO), `gs://bucket/prefix` and
//! `az://container/prefix`, built with `object_store`'s builders. Each
//! builder first reads its own environment variables (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`); the options given here override them. Every
//! request is retried with exponential backoff on 5xx, throttling and
//! timeouts ([`RemoteOptions::retry`]).

use std::sync::{Arc, Once};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use crate::error::{Error, ErrorKind, Result};

/// How to reach a remote object store, beyond its URL. `None` leaves a
/// setting to the environment and the builder's default.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Endpoint of an S3-compatible store (`http://127.0.0.1:3900`), or of
    /// an Azure emulator.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), as Garage and MinIO
    /// need; `false` leaves the builder's choice (`AWS_VIRTUAL_HOSTED_STYLE_REQUEST`).
    pub path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Plain HTTP; `None` follows `AWS_ALLOW_HTTP`, else allows it exactly
    /// when the endpoint (this one or `AWS_ENDPOINT_URL`) is `http://`.
    pub allow_http: Option<bool>,
    /// Retries of one request: on 5xx, 429 and timeouts, with backoff.
    pub retry: RetryConfig,
    /// Longest time one request may take, and to connect.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        RemoteOptions {
            endpoint: None,
            region: None,
            path_style: false,
            access_key_id: None,
            secret_access_key: None,
            allow_http: None,
            retry: RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(5),
                    base: 2.0,
                },
                max_retries: 8,
                retry_timeout: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Whether `url` names a remote object store this build can open.
pub fn is_remote_url(url: &str) -> bool {
    ["s3://", "gs://", "az://"].iter().any(|s| url.starts_with(s))
}

/// Opens the object store `url` names; a prefix after the bucket becomes
/// the root of every path. Nothing is contacted yet.
pub fn object_store_from_url(url: &str, options: &RemoteOptions) -> Result<Arc<dyn ObjectStore>> {
    install_tls_provider();
    let invalid = |m: String| Error::new(ErrorKind::InvalidArgument, m);
    let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid(format!("{url:?} is not a storage URL")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(invalid(format!("{url:?} names no bucket")));
    }
    // The client options given below replace those the builders read from
    // the environment, so `AWS_ALLOW_HTTP` and an `http://` endpoint from
    // `AWS_ENDPOINT_URL` are honoured here.
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let endpoint = options.endpoint.clone().or_else(|| env("AWS_ENDPOINT_URL")).or_else(|| env("AWS_ENDPOINT"));
    let allow_http = options
        .allow_http
        .or_else(|| env("AWS_ALLOW_HTTP").map(|v| v.eq_ignore_ascii_case("true")))
        .unwrap_or_else(|| endpoint.as_deref().is_some_and(|e| e.starts_with("http://")));
    let client = ClientOptions::new()
        .with_timeout(options.timeout)
        .with_connect_timeout(options.connect_timeout)
        .with_allow_http(allow_http);
    fn built<T>(url: &str, r: object_store::Result<T>) -> Result<T> {
        r.map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("storage {url}: {e}")))
    }
    let store: Arc<dyn ObjectStore> = match scheme {
        "s3" => {
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(options.retry.clone())
                .with_client_options(client)
                .with_allow_http(allow_http);
            if let Some(e) = &options.endpoint {
                b = b.with_endpoint(e);
            }
            if let Some(r) = &options.region {
                b = b.with_region(r);
            }
            if options.path_style {
                b = b.with_virtual_hosted_style_request(false);
            }
            if let Some(k) = &options.access_key_id {
                b = b.with_access_key_id(k);
            }
            if let Some(s) = &options.secret_access_key {
                b = b.with_secret_access_key(s);
            }
            Arc::new(built(url, b.build())?)
        }
        "gs" => {
            let b = GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .with_retry(options.retry.clone())
                .with_client_options(client);
            Arc::new(built(url, b.build())?)
        }
        "az" => {
            let mut b = MicrosoftAzureBuilder::from_env()
                .with_container_name(bucket)
                .with_retry(options.retry.clone())
                .with_client_options(client)
                .with_allow_http(allow_http);
            if let Some(e) = &options.endpoint {
                b = b.with_endpoint(e.clone());
            }
            Arc::new(built(url, b.build())?)
        }
        other => return Err(invalid(format!("unknown storage scheme {other:?}: use s3://, gs:// or az://"))),
    };
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        return Ok(store);
    }
    let prefix = Path::parse(prefix).map_err(|e| invalid(format!("storage prefix {prefix:?}: {e}")))?;
    Ok(Arc::new(PrefixStore::new(store, prefix)))
}

/// HTTPS to the object store uses rustls with ring, as the server's own
/// TLS does; installed once per process (a provider already installed by
/// the program is kept).
fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // ring builds without cmake; its only lack, the reason rustls marks
        // it deprecated, is post-quantum key exchange.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_bucket_or_with_an_unknown_scheme_is_refused() {
        let o = RemoteOptions::default();
        for bad in ["s3://", "ftp://bucket/x", "bucket/x"] {
            let e = object_store_from_url(bad, &o).expect_err(bad);
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad}: {e}");
        }
    }

    #[test]
    fn an_s3_url_with_endpoint_and_prefix_opens_without_contacting_anything() {
        let o = RemoteOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            region: Some("garage".into()),
            path_style: true,
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
            ..RemoteOptions::default()
        };
        let store = object_store_from_url("s3://bucket/some/prefix", &o).expect("opens");
        assert!(store.to_string().contains("some/prefix"), "{store}");
        let store = object_store_from_url("s3://bucket", &o).expect("opens");
        assert!(store.to_string().contains("bucket"), "{store}");
        assert!(is_remote_url("s3://b") && is_remote_url("gs://b") && !is_remote_url("/var/lib/kiln"));
    }
}
