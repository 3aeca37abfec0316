//! The one HTTP client of kiln: plain HTTP/1.1 over TCP with hyper, one
//! connection per request, and the one URL parser. Used by the pprof
//! scraper (`upstream::scrape`) and by `kiln query`'s Connect calls, whose
//! error bodies [`Response::error_detail`] reads.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HOST;
use hyper::Uri;
use hyper_util::rt::TokioIo;

use crate::error::{Error, Result};

/// An `http://host[:port][/path][?query]` URL; without a scheme, `http` is
/// meant. `https` and other schemes are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    text: String,
    host: String,
    port: u16,
    /// `host[:port]` as written, for the `Host` header.
    authority: String,
    path: String,
    query: Option<String>,
}

/// A response: status code and whole body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

impl Response {
    /// An error answer's body as text: a Connect error's `code: message`
    /// (its JSON body), else the body as it came.
    pub fn error_detail(&self) -> String {
        let connect = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| Some(format!("{}: {}", v.get("code")?.as_str()?, v.get("message")?.as_str()?)));
        connect.unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned())
    }
}

impl Url {
    pub fn parse(text: &str) -> Result<Url> {
        let bad = |message: &str| Error::Url(format!("{text}: {message}"));
        let full = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
        let uri: Uri = full.parse().map_err(|e| bad(&format!("not a URL ({e})")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(bad("TLS not supported yet; use an http:// URL")),
            Some(scheme) => return Err(bad(&format!("unsupported scheme {scheme:?}; use an http:// URL"))),
            None => return Err(bad("use an http:// URL")),
        }
        let authority = uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
        let host = uri.host().map(|h| h.trim_matches(['[', ']'])).filter(|h| !h.is_empty());
        let port = match authority.rsplit_once(':') {
            Some((_, p)) if !p.contains(']') => p.parse().map_err(|_| bad(&format!("invalid port {p:?}")))?,
            _ => 80,
        };
        Ok(Url {
            text: text.to_owned(),
            host: host.ok_or_else(|| bad("no host"))?.to_owned(),
            port,
            authority,
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, `/` when the URL has none.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// `rest` (starting with `/`) under this URL's path, as a request target.
    pub fn join(&self, rest: &str) -> String {
        format!("{}{rest}", self.path.trim_end_matches('/'))
    }

    /// GETs `target` (path and query) from this URL's server.
    pub async fn get(&self, target: &str) -> Result<Response> {
        self.get_limited(target, usize::MAX).await
    }

    /// GETs `target`, failing once the body passes `max_body` bytes (a
    /// scraped endpoint's answer, which kiln does not control).
    pub async fn get_limited(&self, target: &str, max_body: usize) -> Result<Response> {
        let request = hyper::Request::get(target);
        self.send(request, Bytes::new(), max_body).await
    }

    /// POSTs `body` with `headers` to `target` on this URL's server.
    pub async fn post(&self, target: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Result<Response> {
        let request = headers.iter().fold(hyper::Request::post(target), |r, (k, v)| r.header(*k, *v));
        self.send(request, body.into(), usize::MAX).await
    }

    async fn send(&self, request: hyper::http::request::Builder, body: Bytes, max_body: usize) -> Result<Response> {
        let address = format!("{}:{}", self.host, self.port);
        let failed = |what: &str, e: &dyn std::fmt::Display| Error::Http(format!("{what} {address}: {e}"));
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| failed("connecting to", &e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed("connecting to", &e))?;
        let connection = tokio::spawn(connection);
        let request = request.header(HOST, &self.authority).body(Full::new(body));
        let request = request.map_err(|e| Error::Http(format!("{}: {e}", self.text)))?;
        let response = sender.send_request(request).await.map_err(|e| failed("requesting from", &e))?;
        let status = response.status().as_u16();
        let body = http_body_util::Limited::new(response.into_body(), max_body).collect().await;
        let body = body.map_err(|e| failed("reading from", &e))?.to_bytes();
        connection.abort();
        Ok(Response { status, body })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_host_port_path_and_query() {
        let u = Url::parse("http://localhost:6060/debug/pprof/heap?gc=1").unwrap();
        assert_eq!((u.host(), u.port(), u.path(), u.query()), ("localhost", 6060, "/debug/pprof/heap", Some("gc=1")));
        let u = Url::parse("http://[::1]/prefix/").unwrap();
        assert_eq!((u.host(), u.port(), u.join("/a")), ("::1", 80, "/prefix/a".to_owned()));
        assert_eq!(Url::parse("127.0.0.1:4040").unwrap().join("/q"), "/q", "no scheme means http");
    }

    #[test]
    fn an_error_answer_reads_as_its_connect_code_and_message_or_else_its_body() {
        let answer = |body: &str| Response { status: 400, body: Bytes::from(body.to_owned()) }.error_detail();
        let connect = r#"{"code":"invalid_argument","message":"bad selector","details":[]}"#;
        assert_eq!(answer(connect), "invalid_argument: bad selector");
        assert_eq!(answer(r#"{"error":"not connect"}"#), r#"{"error":"not connect"}"#);
        assert_eq!(answer("404 page not found"), "404 page not found");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_fails_the_request() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.read(&mut [0u8; 4096]).await;
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n").await;
                let _ = stream.write_all(&[b'x'; 100]).await;
            }
        });
        let url = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        assert_eq!(url.get_limited("/", 100).await.unwrap().body.len(), 100);
        let refused = url.get_limited("/", 99).await.unwrap_err().to_string();
        assert!(refused.contains("length limit exceeded"), "{refused}");
    }

    #[test]
    fn only_plain_http_urls_with_a_host_are_taken() {
        let message = |url: &str| Url::parse(url).unwrap_err().to_string();
        assert!(message("https://h/x").contains("TLS not supported yet"));
        assert!(message("ftp://h/x").contains("unsupported scheme \"ftp\""));
        assert!(message("http:///x").contains("http:///x"));
        assert!(message("http://h:port/").contains("invalid port \"port\""));
    }
}
