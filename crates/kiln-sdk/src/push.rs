//! Uploads through Pyroscope's Push API: a gzipped `push.v1.PushRequest`
//! posted as Connect unary (`application/proto`) to
//! `/push.v1.PusherService/Push`, which Kiln and Pyroscope both serve.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use prost::Message;

use crate::error::Error;

#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    pub series: Vec<RawProfileSeries>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RawProfileSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<LabelPair>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<RawSample>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RawSample {
    #[prost(bytes = "vec", tag = "1")]
    pub raw_profile: Vec<u8>,
    #[prost(string, tag = "2")]
    pub id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPair {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// How to reach the server.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

/// A series' labels and its pprof.
pub type Series = (Vec<(String, String)>, Vec<u8>);

pub struct Uploader {
    url: String,
    authorization: Option<String>,
    tenant: Option<String>,
    agent: ureq::Agent,
}

impl Uploader {
    pub fn new(server: &str, auth: &Auth, tenant: Option<String>, timeout: Duration) -> Uploader {
        let authorization = match auth {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!("Basic {}", BASE64.encode(format!("{user}:{password}")))),
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
        };
        let config = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build();
        let url = format!("{}/push.v1.PusherService/Push", server.trim_end_matches('/'));
        Uploader { url, authorization, tenant, agent: config.into() }
    }

    /// Posts one request of `series`, each a label set and its pprof.
    pub fn push(&self, series: Vec<Series>) -> Result<(), Error> {
        let series = series
            .into_iter()
            .map(|(labels, pprof)| RawProfileSeries {
                labels: labels.into_iter().map(|(name, value)| LabelPair { name, value }).collect(),
                samples: vec![RawSample { raw_profile: pprof, id: random_uuid() }],
            })
            .collect();
        let body = gzip(&PushRequest { series }.encode_to_vec());
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/proto")
            .header("Content-Encoding", "gzip")
            .header("User-Agent", concat!("kiln-sdk/", env!("CARGO_PKG_VERSION")));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        if let Some(tenant) = &self.tenant {
            request = request.header("X-Scope-OrgID", tenant);
        }
        let failed = |message: String| Error::Push { url: self.url.clone(), message };
        let mut response = request.send(&body[..]).map_err(|e| failed(e.to_string()))?;
        if response.status().is_success() {
            return Ok(());
        }
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Err(failed(format!("{}: {}", response.status(), text.chars().take(300).collect::<String>())))
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// A version-4 UUID from the standard library's per-process random keys.
fn random_uuid() -> String {
    let half = || {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.finish()
    };
    let (hi, lo) = ((half() & !0xf000) | 0x4000, (half() & !(0xc << 60)) | (0x8 << 60));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_version_4_uuids() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{a}");
    }
}
