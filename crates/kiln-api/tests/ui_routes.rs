//! The web UI's routes: the page on every UI path, the modules under
//! `/assets/`, their CSP, ETags and revalidation, through `oneshot`.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kiln_api::{router, ApiState};
use tower::ServiceExt;

use common::NoIngest;

async fn get(path: &str, if_none_match: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let app = router(ApiState::new(Arc::new(NoIngest)));
    let mut req = Request::get(path);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8_lossy(&body).into_owned())
}

fn text(h: &HeaderMap, name: header::HeaderName) -> &str {
    h.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

#[tokio::test]
async fn every_ui_path_answers_the_page_under_a_strict_csp() {
    for path in ["/", "/explore", "/tags", "/compare", "/diff", "/adhoc"] {
        let (status, h, body) = get(path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(text(&h, header::CONTENT_TYPE).starts_with("text/html"), "{path}");
        assert!(body.contains("src=\"/assets/ui/main.js\""), "{path}");
        assert!(body.contains("<link rel=\"modulepreload\" href=\"/assets/ui/pages/explore.js\">"), "{path}");
        let csp = text(&h, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{csp}");
        assert_eq!(text(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
}

#[tokio::test]
async fn ui_modules_and_the_report_modules_they_import_are_served_as_javascript() {
    for path in ["/assets/ui/main.js", "/assets/ui/pages/explore.js", "/assets/flamegraph.js", "/assets/app.js"] {
        let (status, h, body) = get(path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(text(&h, header::CONTENT_TYPE), "text/javascript; charset=utf-8", "{path}");
        assert!(!body.is_empty());
    }
    let (status, h, _) = get("/assets/ui/ui.css", None).await;
    assert_eq!((status, text(&h, header::CONTENT_TYPE)), (StatusCode::OK, "text/css; charset=utf-8"));
}

#[tokio::test]
async fn a_current_etag_gets_304_and_a_stale_one_the_file() {
    let (_, h, body) = get("/assets/ui/main.js", None).await;
    let etag = text(&h, header::ETAG).to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(text(&h, header::CACHE_CONTROL), "no-cache");
    let (status, h2, again) = get("/assets/ui/main.js", Some(&etag)).await;
    assert_eq!((status, again.as_str()), (StatusCode::NOT_MODIFIED, ""));
    assert_eq!(text(&h2, header::ETAG), etag);
    let (status, _, fresh) = get("/assets/ui/main.js", Some("\"stale\", W/\"older\"")).await;
    assert_eq!((status, fresh), (StatusCode::OK, body));
    let (_, page, _) = get("/", None).await;
    assert_ne!(text(&page, header::ETAG), etag, "each file has its own tag");
}

#[tokio::test]
async fn an_unknown_asset_is_404_naming_it() {
    for path in ["/assets/ui/nope.js", "/assets/../Cargo.toml", "/assets/ui/index.html"] {
        let (status, _, body) = get(path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("no UI asset named"), "{path}: {body}");
    }
}

#[tokio::test]
async fn with_auth_off_there_is_no_session_to_describe() {
    let (status, _, body) = get("/ui/api/session", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("authentication is off"), "{body}");
}
