//! `POST /ui/api/report`: the standalone HTML report of a flame graph the
//! UI shows, for its "HTML" export. The querier and adhoc APIs answer flame
//! graphs, not reports, and the UI's views (a merged range, an exemplar,
//! an upload, a diff of two selections or files) each come from a
//! different method, so the page posts the data it drew (the report's own
//! payload: `format`, `meta`, `names`, `levels`, `total`, `maxSelf`, and
//! `leftTicks`/`rightTicks` for a diff) and gets back the very file
//! `kiln convert --to html` writes. Levels are checked before rendering;
//! the answer is an attachment, never a page of this origin.

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff, Level};
use kiln_render::ReportMeta;
use serde::Deserialize;

use crate::blocking::blocking;
use crate::error::ApiError;

/// Largest report request, in bytes (a 64k-node graph is a few MiB).
pub const MAX_REPORT_BYTES: usize = 64 << 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportRequest {
    format: String,
    #[serde(default)]
    meta: ReportMeta,
    names: Vec<String>,
    levels: Vec<Vec<i64>>,
    total: i64,
    #[serde(default)]
    max_self: i64,
    #[serde(default)]
    left_ticks: i64,
    #[serde(default)]
    right_ticks: i64,
}

/// Renders the posted flame graph as a standalone report.
pub async fn report(body: Bytes) -> Response {
    match blocking(move || render(&body)).await {
        Ok(html) => attachment(html),
        Err(e) => e.into_response(),
    }
}

fn render(body: &[u8]) -> Result<String, ApiError> {
    let r: ReportRequest =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid("report", format!("not a report request: {e}")))?;
    let width = match r.format.as_str() {
        "single" => 4,
        "double" => 7,
        other => {
            return Err(ApiError::invalid("report", format!("format {other:?} is neither \"single\" nor \"double\"")))
        }
    };
    check_levels(&r.levels, width, r.names.len())?;
    let levels = r.levels.into_iter().map(|values| Level { values }).collect();
    Ok(if width == 4 {
        let fg = FlameGraph { names: r.names, levels, total: r.total, max_self: r.max_self };
        kiln_render::single_html(&r.meta, &fg)
    } else {
        let (left_ticks, right_ticks) = (r.left_ticks, r.right_ticks);
        let fg =
            FlameGraphDiff { names: r.names, levels, total: r.total, max_self: r.max_self, left_ticks, right_ticks };
        kiln_render::diff_html(&r.meta, &fg)
    })
}

/// Every level holds whole nodes of `width` values, none negative, whose
/// last value names an entry of the names table.
fn check_levels(levels: &[Vec<i64>], width: usize, names: usize) -> Result<(), ApiError> {
    for (depth, level) in levels.iter().enumerate() {
        if level.len() % width != 0 {
            let msg = format!("level {depth} has {} values, not a multiple of {width}", level.len());
            return Err(ApiError::invalid("report", msg));
        }
        if let Some(v) = level.iter().find(|v| **v < 0) {
            return Err(ApiError::invalid("report", format!("level {depth} holds a negative value {v}")));
        }
        if let Some(name) = level.chunks(width).map(|node| node[width - 1]).find(|n| *n as usize >= names) {
            let msg = format!("level {depth} names entry {name}, but the names table has {names}");
            return Err(ApiError::invalid("report", msg));
        }
    }
    Ok(())
}

fn attachment(html: String) -> Response {
    let mut resp = html.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"kiln-report.html\""));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}
