//! The JSON answers of the legacy and v0 routes, written as Go writes
//! them, and a handler's result as one response.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A handler's answer: the response, or the error's.
pub fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A JSON body as Go's `json.Encoder` writes it: compact, HTML characters
/// escaped, a newline at the end.
pub fn json_response(mut json: String) -> Response {
    json.push('\n');
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

/// Serialises like Go's `encoding/json` (`<`, `>`, `&`, U+2028 and U+2029
/// escaped; they only occur inside strings).
pub fn go_json<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}
