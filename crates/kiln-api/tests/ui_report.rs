//! The UI's HTML export route, `POST /ui/api/report`: the standalone report
//! of the posted flame graph, as an attachment; malformed graphs are 400s
//! that say what is wrong.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use kiln_api::{router, ApiState};
use serde_json::{json, Value};
use tower::ServiceExt;

use common::NoIngest;

async fn post(body: String) -> (StatusCode, String, String) {
    let app = router(ApiState::new(Arc::new(NoIngest)));
    let req = Request::post("/ui/api/report").header(header::CONTENT_TYPE, "application/json").body(Body::from(body));
    let resp = app.oneshot(req.unwrap()).await.unwrap();
    let disposition = resp.headers().get(header::CONTENT_DISPOSITION).map(|v| v.to_str().unwrap().to_owned());
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, disposition.unwrap_or_default(), String::from_utf8_lossy(&bytes).into_owned())
}

fn single() -> Value {
    json!({
        "format": "single",
        "meta": {"title": "checkout", "subject": "{service_name=\"checkout\"}", "profileType": "cpu", "unit": "nanoseconds"},
        "names": ["total", "main", "<img src=x onerror=alert(1)>"],
        "levels": [[0, 10, 0, 0], [0, 10, 4, 1], [0, 6, 6, 2]],
        "total": 10, "maxSelf": 6
    })
}

#[tokio::test]
async fn a_single_graph_comes_back_as_a_standalone_report_attachment() {
    let (status, disposition, html) = post(single().to_string()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(html.starts_with("<!doctype html>") && html.contains("default-src 'none'"));
    assert!(html.contains("\"format\":\"single\"") && html.contains("<title>checkout</title>"));
    assert!(!html.contains("<img src=x"), "names stay inside the escaped JSON");
}

#[tokio::test]
async fn a_diff_graph_comes_back_as_a_diff_report() {
    let body = json!({
        "format": "double", "names": ["total", "slow"], "total": 30, "maxSelf": 20, "leftTicks": 10, "rightTicks": 20,
        "levels": [[0, 10, 0, 0, 20, 0, 0], [0, 10, 10, 0, 20, 20, 1]]
    });
    let (status, _, html) = post(body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("\"format\":\"double\"") && html.contains("\"leftTicks\":10"));
}

#[tokio::test]
async fn malformed_graphs_are_refused_saying_what_is_wrong() {
    let mut ragged = single();
    ragged["levels"][1] = json!([0, 10, 4]);
    let mut unnamed = single();
    unnamed["levels"][2] = json!([0, 6, 6, 9]);
    let mut negative = single();
    negative["levels"][1] = json!([0, -10, 4, 1]);
    let mut format = single();
    format["format"] = json!("triple");
    let cases = [
        (ragged.to_string(), "not a multiple of 4"),
        (unnamed.to_string(), "names entry 9"),
        (negative.to_string(), "negative value -10"),
        (format.to_string(), "\\\"triple\\\""),
        ("{\"format\": \"single\"".to_owned(), "not a report request"),
    ];
    for (body, why) in cases {
        let (status, _, answer) = post(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer}");
        assert!(answer.contains(why), "{why}: {answer}");
    }
}
