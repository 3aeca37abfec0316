//! The continuous upstream's client: one profile per request to a server's
//! Push API (`POST /push.v1.PusherService/Push`, Connect with binary
//! protobuf), labelled as Pyroscope's SDKs label them, with Basic or Bearer
//! auth and `X-Scope-OrgID`.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use kiln_api::pb::push::{LabelPair, PushRequest, RawProfileSeries, RawSample};
use kiln_model::{pprof, Profile};
use prost::Message;

use crate::http::Url;

/// The Push API's Connect path.
const PUSH_PATH: &str = "/push.v1.PusherService/Push";
/// How long one push may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How the client proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`, from `user:password`.
    Basic(String),
}

/// Why a push failed: worth retrying (the server unreachable, 5xx, 429) or
/// not (any other answer: the profile itself was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushFailure {
    Retry(String),
    Refused(String),
}

/// Pushes encoded requests to one server.
#[derive(Debug, Clone)]
pub struct PushClient {
    url: Url,
    headers: Vec<(&'static str, String)>,
}

impl PushClient {
    /// A client for the server at `url`, with `auth` and the tenant (`X-Scope-OrgID`) when given.
    pub fn new(url: Url, auth: Option<Auth>, tenant: Option<String>) -> PushClient {
        let mut headers = vec![("content-type", "application/proto".to_owned())];
        match auth {
            Some(Auth::Bearer(token)) => headers.push(("authorization", format!("Bearer {token}"))),
            Some(Auth::Basic(pair)) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                headers.push(("authorization", format!("Basic {encoded}")));
            }
            None => {}
        }
        if let Some(tenant) = tenant {
            headers.push(("x-scope-orgid", tenant));
        }
        PushClient { url, headers }
    }

    /// The server's URL, for messages.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Sends one encoded `PushRequest`.
    pub async fn push(&self, body: Bytes) -> Result<(), PushFailure> {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let target = self.url.join(PUSH_PATH);
        let sent = tokio::time::timeout(REQUEST_TIMEOUT, self.url.post(&target, &headers, body)).await;
        let response = match sent {
            Err(_) => return Err(PushFailure::Retry(format!("no answer from {} within 10s", self.url))),
            Ok(Err(e)) => return Err(PushFailure::Retry(e.to_string())),
            Ok(Ok(response)) => response,
        };
        match response.status {
            200..=299 => Ok(()),
            429 | 500..=599 => Err(PushFailure::Retry(format!("{}: {}", response.status, response.error_detail()))),
            status => Err(PushFailure::Refused(format!("{status}: {}", response.error_detail()))),
        }
    }
}

/// One profile as a `PushRequest`: `labels` with `__name__` set to
/// `name`, the pprof gzipped; no profile id, so the server makes one.
pub fn encode_push(name: &str, labels: &[(String, String)], profile: &Profile) -> Vec<u8> {
    let name = LabelPair { name: "__name__".to_owned(), value: name.to_owned() };
    let rest = labels.iter().map(|(k, v)| LabelPair { name: k.clone(), value: v.clone() });
    let sample = RawSample { raw_profile: pprof::encode_gzip(profile), id: String::new() };
    let series = RawProfileSeries { labels: std::iter::once(name).chain(rest).collect(), samples: vec![sample] };
    PushRequest { series: vec![series] }.encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64_of_the_pair_and_the_tenant_is_a_header() {
        let url = Url::parse("http://127.0.0.1:4040").unwrap();
        let client = PushClient::new(url, Some(Auth::Basic("ann:s3cret".into())), Some("team-a".into()));
        assert!(client.headers.contains(&("authorization", "Basic YW5uOnMzY3JldA==".to_owned())));
        assert!(client.headers.contains(&("x-scope-orgid", "team-a".to_owned())));
        let bearer = PushClient::new(client.url.clone(), Some(Auth::Bearer("t0k".into())), None);
        assert!(bearer.headers.contains(&("authorization", "Bearer t0k".to_owned())));
    }

    /// A one-shot server answering every connection with `status`.
    async fn answering(status: u16) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.read(&mut [0u8; 4096]).await;
                let body = r#"{"code":"x","message":"m"}"#;
                let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n{body}", body.len());
                let _ = stream.write_all(head.as_bytes()).await;
            }
        });
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    #[tokio::test]
    async fn unreachable_servers_5xx_and_429_are_retried_other_refusals_are_not() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let push = |url: Url| async move { PushClient::new(url, None, None).push(Bytes::from_static(b"x")).await };
        let unreachable = push(Url::parse(&format!("http://127.0.0.1:{closed}")).unwrap()).await;
        assert!(matches!(unreachable, Err(PushFailure::Retry(_))), "{unreachable:?}");
        assert!(matches!(push(answering(503).await).await, Err(PushFailure::Retry(_))));
        assert!(matches!(push(answering(429).await).await, Err(PushFailure::Retry(_))));
        assert_eq!(push(answering(400).await).await, Err(PushFailure::Refused("400: x: m".to_owned())));
        assert_eq!(push(answering(200).await).await, Ok(()));
    }

    #[test]
    fn a_push_request_names_the_profile_type_first_and_keeps_the_labels() {
        let profile = kiln_model::ProfileBuilder::new(&[("samples", "count")], ("cpu", "nanoseconds"), 1).build();
        let labels = vec![("service_name".to_owned(), "app".to_owned()), ("env".to_owned(), "ci".to_owned())];
        let request = PushRequest::decode(encode_push("process_cpu", &labels, &profile).as_slice()).unwrap();
        let pairs: Vec<(&str, &str)> =
            request.series[0].labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
        assert_eq!(pairs, [("__name__", "process_cpu"), ("service_name", "app"), ("env", "ci")]);
        assert!(!request.series[0].samples[0].raw_profile.is_empty());
    }
}
