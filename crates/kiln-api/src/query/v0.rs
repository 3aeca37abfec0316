//! Pyroscope v0's query routes (`v0.37.2:pkg/server/render.go`,
//! `render_diff.go`, `labels.go`, `labelvalues.go`; reference §2.c):
//! `/render` (`format=json|pprof|collapsed|html`), `/render-diff`,
//! `/labels` and `/label-values`, over the same querier service as the
//! Connect API. `/api/apps` is in `v0_apps.rs`.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use kiln_model::flamebearer::{Flamebearer, FlamebearerProfile, Timeline};
use kiln_model::flamegraph::DEFAULT_MAX_NODES;
use kiln_model::folded;
use kiln_model::ingest_name::IngestName;
use kiln_model::pb::querier::v1::FlameGraphDiff;
use kiln_model::selector::{Matcher, Query};
use kiln_render::{rfc3339, ReportMeta};
use serde::Serialize;

use crate::blocking::{blocking, encoded};
use crate::error::ApiError;
use crate::pb::types::v1 as t;
use crate::query::params::{export_diff, get, max_nodes, query_handler, service, time_ms, tree_of, Params, Selection};
use crate::query::render::{diff_of, flamebearer_of, View};
use crate::query::v0_apps::{app_names, with_profile_type};
use crate::query::QueryService;
use crate::request::tenant;
use crate::response::{go_json, json_response};
use crate::state::ApiState;

query_handler!(
    /// `GET /render`.
    render => render_request
);

query_handler!(
    /// `GET /render-diff`.
    render_diff => diff_request
);

query_handler!(
    /// `GET /labels`.
    labels => labels_request
);

query_handler!(
    /// `GET /label-values`.
    label_values => label_values_request
);

/// v0's render metadata: the flamebearer's, then what the UI needs.
#[derive(Serialize)]
struct Metadata<'a> {
    format: &'a str,
    #[serde(rename = "spyName")]
    spy_name: &'a str,
    #[serde(rename = "sampleRate")]
    sample_rate: u32,
    units: &'a str,
    name: &'a str,
    #[serde(rename = "appName")]
    app_name: &'a str,
    #[serde(rename = "startTime")]
    start_time: i64,
    #[serde(rename = "endTime")]
    end_time: i64,
    query: &'a str,
    #[serde(rename = "maxNodes")]
    max_nodes: i64,
}

#[derive(Serialize)]
struct Annotation {
    content: String,
    timestamp: i64,
}

/// v0's render response: the flamebearer profile with its metadata
/// replaced (Go puts the embedded struct's fields first), then annotations.
#[derive(Serialize)]
struct Rendered<'a> {
    version: u32,
    flamebearer: &'a Flamebearer,
    timeline: &'a Option<Timeline>,
    groups: &'a Option<BTreeMap<String, Timeline>>,
    heatmap: &'a Option<serde_json::Value>,
    #[serde(rename = "leftTicks", skip_serializing_if = "is_zero")]
    left_ticks: u64,
    #[serde(rename = "rightTicks", skip_serializing_if = "is_zero")]
    right_ticks: u64,
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<Vec<Annotation>>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl<'a> Rendered<'a> {
    fn new(fb: &'a FlamebearerProfile, metadata: Metadata<'a>, annotations: Option<Vec<Annotation>>) -> Self {
        Rendered {
            version: fb.version,
            flamebearer: &fb.flamebearer,
            timeline: &fb.timeline,
            groups: &fb.groups,
            heatmap: &fb.heatmap,
            left_ticks: fb.left_ticks,
            right_ticks: fb.right_ticks,
            metadata,
            annotations,
        }
    }
}

/// `name=app.cpu{env=prod}` (a v0 storage key) or `query=app.cpu{env="prod"}`.
async fn selection(svc: &dyn QueryService, tenant: &str, params: &Params, now: i64) -> Result<Selection, ApiError> {
    let start = time_ms(params, "from", now)?;
    let end = time_ms(params, "until", now)?;
    let (text, parsed) = match (get(params, "name").filter(|s| !s.is_empty()), get(params, "query")) {
        (Some(name), _) => {
            let key = IngestName::parse(name).map_err(|e| ApiError::invalid("name", format!("name: {}", e.message)))?;
            let mut parsed = Query::parse(&key.name).map_err(|e| ApiError::from(e).with_context("name"))?;
            parsed.selector.matchers.extend(key.labels.iter().map(|(k, v)| Matcher::equal(k, v)));
            (name, parsed)
        }
        (None, Some(query)) if !query.is_empty() => (query, Query::parse(query)?),
        _ => return Err(ApiError::invalid("query", "'query' or 'name' parameter is required")),
    };
    Selection::resolve(svc, tenant, text, parsed, start, end).await
}

/// `format`, one of v0's: `json` (also when absent), `pprof`,
/// `collapsed`, `html`.
fn format(params: &Params) -> Result<&str, ApiError> {
    let format = get(params, "format").unwrap_or("");
    if !matches!(format, "" | "json" | "pprof" | "collapsed" | "html") {
        return Err(ApiError::invalid("format", format!("unknown format {format:?}")));
    }
    Ok(format)
}

async fn render_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let format = format(params)?;
    let sel = selection(svc.as_ref(), &tenant, params, state.now()).await?;
    let filename = format!("{} {}", sel.app_name, rfc3339(sel.start.saturating_mul(1_000_000)));
    let nodes = max_nodes(params).unwrap_or(DEFAULT_MAX_NODES);
    match format {
        "pprof" | "collapsed" => {
            let profile = svc.select_merge_profile(&tenant, sel.profile_request(None)).await?;
            if format == "pprof" {
                let bytes = encoded(profile).await?;
                return Ok(download(&format!("{filename}.pprof"), "application/octet-stream", bytes));
            }
            let text = blocking(move || Ok(folded::encode_tree(&tree_of(profile)?))).await?;
            Ok(download(&format!("{filename}.collapsed.txt"), "application/octet-stream", text.into_bytes()))
        }
        "html" => {
            let fg = svc.select_merge_stacktraces(&tenant, sel.merge_request(Some(nodes))).await?.flamegraph;
            let meta = report_meta(&sel, &filename);
            let html = blocking(move || Ok(kiln_render::single_html(&meta, &fg.unwrap_or_default()))).await?;
            Ok(download(&format!("{filename}.html"), "text/html", html.into_bytes()))
        }
        _ => render_json(svc.as_ref(), &tenant, &sel, params, &filename).await,
    }
}

/// v0's JSON render: the flamebearer with app metadata and annotations.
async fn render_json(
    svc: &dyn QueryService,
    tenant: &str,
    sel: &Selection,
    params: &Params,
    filename: &str,
) -> Result<Response, ApiError> {
    let nodes = max_nodes(params).unwrap_or(DEFAULT_MAX_NODES);
    let group_by = get(params, "groupBy").into_iter().map(String::from).collect();
    let fb = flamebearer_of(svc, tenant, sel, &View { max_nodes: nodes, group_by, average: false }).await?;
    let spy = spy_name(svc, tenant, sel).await?;
    let (sel, filename) = (sel.clone(), filename.to_owned());
    let json = blocking(move || {
        let metadata = Metadata {
            format: &fb.metadata.format,
            spy_name: &spy,
            sample_rate: fb.metadata.sample_rate,
            units: &fb.metadata.units,
            name: &filename,
            app_name: &sel.app_name,
            start_time: sel.start.div_euclid(1000),
            end_time: sel.end.div_euclid(1000),
            query: &sel.query,
            max_nodes: nodes,
        };
        Ok(go_json(&Rendered::new(&fb, metadata, Some(Vec::new()))))
    })
    .await?;
    Ok(json_response(json))
}

/// The `pyroscope_spy` of the selection's series (`unknown` without one).
async fn spy_name(svc: &dyn QueryService, tenant: &str, sel: &Selection) -> Result<String, ApiError> {
    let req = t::LabelValuesRequest {
        name: "pyroscope_spy".into(),
        matchers: vec![with_profile_type(&sel.label_selector, &sel.profile_type.id())],
        start: sel.start,
        end: sel.end,
    };
    let names = svc.label_values(tenant, req).await?.names;
    Ok(names.into_iter().next().unwrap_or_else(|| "unknown".to_owned()))
}

fn report_meta(sel: &Selection, title: &str) -> ReportMeta {
    ReportMeta {
        title: title.to_owned(),
        subject: sel.query.clone(),
        profile_type: sel.profile_type.id(),
        unit: sel.profile_type.sample_unit.clone(),
        duration_nanos: (sel.end - sel.start).max(0).saturating_mul(1_000_000),
        date: rfc3339(sel.start.saturating_mul(1_000_000)),
        ..ReportMeta::default()
    }
}

/// A file download, as v0's `WriteResponseFile` (the name quoted).
fn download(filename: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", filename.replace(['"', '\\'], "_"));
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn diff_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let format = format(params)?;
    let (fg, left, right) = diff_of(state, params, headers).await?;
    if format == "html" {
        let meta = report_meta(&left, "diff");
        let html = blocking(move || Ok(kiln_render::diff_html(&meta, &fg))).await?;
        return Ok(([(header::CONTENT_TYPE, "text/html")], html).into_response());
    }
    Ok(json_response(blocking(move || Ok(diff_json(&fg, &left, &right))).await?))
}

/// v0's JSON of a diff flame graph.
fn diff_json(fg: &FlameGraphDiff, left: &Selection, right: &Selection) -> String {
    let fb = export_diff(fg, &left.profile_type);
    // v0's naming, kept as it is: equal app names give `diff_<a>_<b>`.
    let app_name = if left.app_name == right.app_name {
        format!("diff_{}_{}", left.app_name, right.app_name)
    } else {
        format!("diff_{}", left.app_name)
    };
    let metadata = Metadata {
        format: &fb.metadata.format,
        spy_name: &fb.metadata.spy_name,
        sample_rate: fb.metadata.sample_rate,
        units: &fb.metadata.units,
        name: "diff",
        app_name: &app_name,
        start_time: left.start.min(right.start).div_euclid(1000),
        end_time: left.end.max(right.end).div_euclid(1000),
        query: "",
        max_nodes: 0,
    };
    go_json(&Rendered::new(&fb, metadata, None))
}

/// The query's series matcher (every series without one) and range. v0
/// read these from an index without time, so an absent `from` is the
/// beginning of time rather than now.
async fn matchers(
    state: &ApiState,
    svc: &dyn QueryService,
    tenant: &str,
    params: &Params,
) -> Result<(Vec<String>, i64, i64), ApiError> {
    let now = state.now();
    let start = if get(params, "from").is_none_or(str::is_empty) { 0 } else { time_ms(params, "from", now)? };
    let end = time_ms(params, "until", now)?;
    let Some(query) = get(params, "query").filter(|q| !q.is_empty()) else { return Ok((Vec::new(), start, end)) };
    let parsed = Query::parse(query)?;
    let sel = Selection::resolve(svc, tenant, query, parsed, start, end).await?;
    Ok((vec![with_profile_type(&sel.label_selector, &sel.profile_type.id())], start, end))
}

/// A JSON array as v0 wrote it: `json.Marshal`, no trailing newline.
fn v0_json_array(values: &[String]) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], go_json(&values)).into_response()
}

/// Label names of the matching series; Kiln's internal `__` labels other
/// than `__name__` are left out.
async fn labels_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let (matchers, start, end) = matchers(state, svc.as_ref(), &tenant, params).await?;
    let names = svc.label_names(&tenant, t::LabelNamesRequest { matchers, start, end }).await?.names;
    let kept: Vec<String> = names.into_iter().filter(|n| n == "__name__" || !n.starts_with("__")).collect();
    Ok(v0_json_array(&kept))
}

/// Values of `label` on the matching series; `__name__` lists v0 app names.
async fn label_values_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let label = get(params, "label").filter(|l| !l.is_empty());
    let label = label.ok_or_else(|| ApiError::invalid("label", "label parameter is required"))?;
    let (matchers, start, end) = matchers(state, svc.as_ref(), &tenant, params).await?;
    let values = if label == "__name__" {
        app_names(svc.as_ref(), &tenant, matchers, start, end).await?
    } else {
        let req = t::LabelValuesRequest { name: label.to_owned(), matchers, start, end };
        svc.label_values(&tenant, req).await?.names
    };
    Ok(v0_json_array(&values))
}
