//! A minimal Connect client: unary calls of `querier.v1.QuerierService`
//! in binary protobuf, over HTTP/1.1 on a plain TCP connection.

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use prost::Message;

/// Where the server is and as whom to ask.
pub struct Client {
    host: String,
    port: u16,
    /// Path prefix of the URL, without a trailing `/`.
    prefix: String,
    tenant: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client of `http://host[:port][/prefix]`; `https` is refused.
    pub fn new(url: &str, tenant: Option<String>) -> anyhow::Result<Client> {
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https", _)) => bail!("{url}: TLS not supported yet; use an http:// URL"),
            Some((scheme, _)) => bail!("{url}: unsupported scheme {scheme:?}; use an http:// URL"),
            None => url,
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().with_context(|| format!("{url}: invalid port {p:?}"))?),
            _ => (authority, 80),
        };
        if host.is_empty() {
            bail!("{url}: no host");
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let prefix = path.trim_end_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("/{prefix}") };
        Ok(Client { host: host.trim_matches(['[', ']']).to_owned(), port, prefix, tenant, runtime })
    }

    /// Calls `method` and decodes its response.
    pub fn call<Req: Message, Resp: Message + Default>(&self, method: &str, req: &Req) -> anyhow::Result<Resp> {
        let body = self.call_raw(method, req)?;
        Resp::decode(body).with_context(|| format!("decoding the {method} response"))
    }

    /// Calls `method` and returns the response body as it came.
    pub fn call_raw<Req: Message>(&self, method: &str, req: &Req) -> anyhow::Result<Bytes> {
        let path = format!("{}/querier.v1.QuerierService/{method}", self.prefix);
        let (status, body) = self.runtime.block_on(self.post(&path, req.encode_to_vec()))?;
        if status == 200 {
            return Ok(body);
        }
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| Some(format!("{}: {}", v.get("code")?.as_str()?, v.get("message")?.as_str()?)))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        Err(anyhow!("{method} failed with HTTP {status}: {detail}"))
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> anyhow::Result<(u16, Bytes)> {
        let address = format!("{}:{}", self.host, self.port);
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("connecting to {address}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let connection = tokio::spawn(conn);
        let mut request = Request::post(path)
            .header(HOST, &address)
            .header(CONTENT_TYPE, "application/proto")
            .header("connect-protocol-version", "1");
        if let Some(t) = &self.tenant {
            request = request.header("x-scope-orgid", t);
        }
        let response = sender.send_request(request.body(Full::new(Bytes::from(body)))?).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        connection.abort();
        Ok((status, bytes))
    }
}
