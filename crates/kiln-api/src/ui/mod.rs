//! The web UI: one page on every UI path (the client-side router reads
//! `location`) and the ES modules it imports under `/assets/`, all compiled
//! into the binary. The page talks to the server through the querier and
//! adhoc services, and two routes of its own: `POST /ui/api/report`, for its
//! HTML export ([`report`]), and `GET /ui/api/session`, the signed-in
//! credential's tenants for the tenant picker ([`session`]); the CSP lets it
//! load and fetch from this server alone and run no inline script.

mod files;
mod report;
mod session;

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};

use crate::error::{ApiError, ApiErrorKind};
use files::Served;

/// The paths the client-side router draws a page for.
pub const PAGES: &[&str] = &["/", "/explore", "/tags", "/compare", "/diff", "/adhoc"];

/// Scripts, styles, images and requests from this server only; no inline
/// script, no framing, no form posting elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// `POST /ui/api/report`: the graph on screen as a standalone report.
pub(crate) fn report_route<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    post(report::report).layer(DefaultBodyLimit::max(report::MAX_REPORT_BYTES))
}

pub(crate) use session::session;

/// The page, on every path of [`PAGES`].
pub(crate) async fn page(headers: HeaderMap) -> Response {
    serve(files::page(), &headers)
}

/// A module, stylesheet or image of the UI, by its path under `/assets/`.
pub(crate) async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match files::asset(&path) {
        Some(file) => serve(file, &headers),
        None => ApiError::new(ApiErrorKind::NotFound, "asset", format!("no UI asset named {path:?}")).into_response(),
    }
}

/// The file, or 304 when the browser's copy is current. Browsers revalidate
/// every time (`no-cache`): a new binary's assets are seen at once.
fn serve(file: &'static Served, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&file.etag).expect("hex etag is a header value");
    let fresh = headers.get(header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &file.etag));
    let mut resp = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { file.body.into_response() };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

fn etag_matches(header: &HeaderValue, etag: &str) -> bool {
    let list = header.to_str().unwrap_or_default();
    list.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*")
}
