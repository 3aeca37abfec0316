//! The pull upstream: one scrape of a pprof endpoint (Go's
//! `net/http/pprof`) through kiln's HTTP client, asking for a profile of
//! `window` seconds.

use std::time::Duration;

use kiln_model::Profile;

use crate::error::{Error, Result};
use crate::http::Url;

/// Allowed past the window for the endpoint to answer.
const ANSWER_GRACE: Duration = Duration::from_secs(10);

/// A pprof endpoint such as Go's `/debug/pprof/profile`.
pub struct PprofEndpoint {
    url: Url,
    /// Path and query, with `seconds` set.
    target: String,
    /// The `seconds` the endpoint is asked for (how long one scrape lasts).
    window_secs: u64,
}

impl PprofEndpoint {
    /// Asks for `window_secs`-second profiles unless the URL sets `seconds` itself.
    pub fn parse(url: &str, window_secs: u64) -> Result<PprofEndpoint> {
        let url = Url::parse(url)?;
        let query = url.query().unwrap_or("");
        let given = query.split('&').find_map(|kv| kv.strip_prefix("seconds=")).and_then(|v| v.parse().ok());
        let target = match (given, query) {
            (Some(_), _) => format!("{}?{query}", url.path()),
            (None, "") => format!("{}?seconds={window_secs}", url.path()),
            (None, _) => format!("{}?{query}&seconds={window_secs}", url.path()),
        };
        Ok(PprofEndpoint { url, target, window_secs: given.unwrap_or(window_secs) })
    }

    /// The endpoint's URL as it was given.
    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn host(&self) -> &str {
        self.url.host()
    }

    /// How long one scrape is expected to take.
    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_secs)
    }

    /// Fetches and decodes one profile.
    pub async fn fetch(&self) -> Result<Profile> {
        let timeout = self.window() + ANSWER_GRACE;
        let answer = tokio::time::timeout(timeout, self.url.get(&self.target)).await;
        let timed_out = || Error::Http(format!("{} did not answer within {}s", self.url, timeout.as_secs()));
        let response = answer.map_err(|_| timed_out())??;
        if !(200..300).contains(&response.status) {
            let body = &response.body[..response.body.len().min(300)];
            let text = String::from_utf8_lossy(body).trim().to_owned();
            return Err(Error::Http(format!("{} answered HTTP {}: {text}", self.url, response.status)));
        }
        kiln_model::pprof::decode(&response.body)
            .map_err(|source| Error::Profile { what: format!("decoding the profile from {}", self.url), source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seconds_parameter_is_added_unless_the_url_has_one() {
        let e = PprofEndpoint::parse("http://localhost:6060/debug/pprof/profile", 1).unwrap();
        assert_eq!((e.host(), e.target.as_str()), ("localhost", "/debug/pprof/profile?seconds=1"));
        let e = PprofEndpoint::parse("http://h/debug/pprof/heap?gc=1", 1).unwrap();
        assert_eq!(e.target, "/debug/pprof/heap?gc=1&seconds=1");
        let e = PprofEndpoint::parse("http://h:1/p?seconds=5", 1).unwrap();
        assert_eq!((e.target.as_str(), e.window()), ("/p?seconds=5", Duration::from_secs(5)));
    }

    #[test]
    fn tls_endpoints_are_refused() {
        assert!(PprofEndpoint::parse("https://h/debug/pprof/profile", 1).is_err());
    }
}
