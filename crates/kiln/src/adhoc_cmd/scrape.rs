//! Pull mode's HTTP client: one GET of a pprof endpoint over HTTP/1.1.

use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::HOST;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use kiln_model::Profile;

/// A pprof endpoint such as Go's `/debug/pprof/profile`.
pub struct Endpoint {
    url: String,
    host: String,
    port: u16,
    /// Path and query, with `seconds` set.
    target: String,
    /// The `seconds` the endpoint is asked for (how long one scrape lasts).
    window_secs: u64,
}

impl Endpoint {
    /// Parses an `http://` URL; asks for `window_secs`-second profiles unless
    /// the URL sets `seconds` itself.
    pub fn parse(url: &str, window_secs: u64) -> anyhow::Result<Endpoint> {
        let uri: Uri = url.parse().with_context(|| format!("{url:?} is not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => bail!("{url}: TLS is not supported; use an http:// URL"),
            _ => bail!("{url}: use an http:// URL, e.g. http://localhost:6060/debug/pprof/profile"),
        }
        let host = uri.host().filter(|h| !h.is_empty()).with_context(|| format!("{url}: no host"))?;
        let query = uri.query().unwrap_or("");
        let given = query.split('&').find_map(|kv| kv.strip_prefix("seconds=")).and_then(|v| v.parse().ok());
        let target = match (given, query) {
            (Some(_), _) => format!("{}?{query}", uri.path()),
            (None, "") => format!("{}?seconds={window_secs}", uri.path()),
            (None, _) => format!("{}?{query}&seconds={window_secs}", uri.path()),
        };
        Ok(Endpoint {
            url: url.to_owned(),
            host: host.trim_matches(['[', ']']).to_owned(),
            port: uri.port_u16().unwrap_or(80),
            target,
            window_secs: given.unwrap_or(window_secs),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// How long one scrape is expected to take.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }

    /// Fetches and decodes one profile.
    pub async fn fetch(&self) -> anyhow::Result<Profile> {
        let timeout = self.window() + Duration::from_secs(10);
        let body = tokio::time::timeout(timeout, self.get())
            .await
            .with_context(|| format!("{} did not answer within {}s", self.url, timeout.as_secs()))??;
        kiln_model::pprof::decode(&body).with_context(|| format!("decoding the profile from {}", self.url))
    }

    async fn get(&self) -> anyhow::Result<Bytes> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("connecting to {}", self.url))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let connection = tokio::spawn(conn);
        let authority = format!("{}:{}", self.host, self.port);
        let request = Request::get(&self.target).header(HOST, authority).body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await.with_context(|| format!("requesting {}", self.url))?;
        let status = response.status();
        let body = response.into_body().collect().await.with_context(|| format!("reading {}", self.url))?.to_bytes();
        connection.abort();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned();
            bail!("{} answered HTTP {}: {text}", self.url, status.as_u16());
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seconds_parameter_is_added_unless_the_url_has_one() {
        let e = Endpoint::parse("http://localhost:6060/debug/pprof/profile", 1).unwrap();
        assert_eq!((e.host(), e.port, e.target.as_str()), ("localhost", 6060, "/debug/pprof/profile?seconds=1"));
        let e = Endpoint::parse("http://h/debug/pprof/heap?gc=1", 1).unwrap();
        assert_eq!((e.port, e.target.as_str()), (80, "/debug/pprof/heap?gc=1&seconds=1"));
        let e = Endpoint::parse("http://h:1/p?seconds=5", 1).unwrap();
        assert_eq!((e.target.as_str(), e.window()), ("/p?seconds=5", Duration::from_secs(5)));
    }

    #[test]
    fn only_http_urls_are_taken() {
        assert!(Endpoint::parse("https://h/debug/pprof/profile", 1).is_err());
        assert!(Endpoint::parse("localhost:6060", 1).is_err());
    }
}
