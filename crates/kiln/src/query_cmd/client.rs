//! A minimal Connect client: unary calls of `querier.v1.QuerierService`
//! in binary protobuf, over kiln's one HTTP client (`kiln_agent::http`).

use anyhow::{anyhow, Context};
use kiln_agent::http::Url;
use prost::Message;

/// Where the server is and as whom to ask.
pub struct Client {
    url: Url,
    tenant: Option<String>,
    /// `Bearer <token>` when the server checks credentials.
    authorization: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client of `http://host[:port][/prefix]`; `https` is refused.
    pub fn new(url: &str, tenant: Option<String>, token: Option<String>) -> anyhow::Result<Client> {
        let url = Url::parse(url)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Client { url, tenant, authorization: token.map(|t| format!("Bearer {t}")), runtime })
    }

    /// Calls `method` and decodes its response.
    pub fn call<Req: Message, Resp: Message + Default>(&self, method: &str, req: &Req) -> anyhow::Result<Resp> {
        let body = self.call_raw(method, req)?;
        Resp::decode(body.as_slice()).with_context(|| format!("decoding the {method} response"))
    }

    /// Calls `method` and returns the response body as it came.
    pub fn call_raw<Req: Message>(&self, method: &str, req: &Req) -> anyhow::Result<Vec<u8>> {
        let target = self.url.join(&format!("/querier.v1.QuerierService/{method}"));
        let mut headers = vec![("content-type", "application/proto"), ("connect-protocol-version", "1")];
        if let Some(t) = &self.tenant {
            headers.push(("x-scope-orgid", t));
        }
        if let Some(a) = &self.authorization {
            headers.push(("authorization", a));
        }
        let response = self.runtime.block_on(self.url.post(&target, &headers, req.encode_to_vec()))?;
        if response.status == 200 {
            return Ok(response.body.to_vec());
        }
        Err(anyhow!("{method} failed with HTTP {}: {}", response.status, response.error_detail()))
    }
}
