//! Pyroscope's legacy HTTP query routes (`pkg/querier/http.go`, reference
//! §2.c): `/pyroscope/render` (flamebearer with timeline and groups, or
//! Graphviz with `format=dot`), `/pyroscope/render-diff` and
//! `/pyroscope/label-values`. Each is a translation onto the querier
//! service, so they answer what the Connect API answers.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use kiln_model::flamebearer::{FlamebearerProfile, Timeline};
use kiln_model::pb::querier::v1::FlameGraphDiff;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::pb::querier::v1 as q;
use crate::pb::types::v1 as t;
use crate::query::dot::{dot, DEFAULT_DOT_NODES};
use crate::query::params::{
    all, export, export_diff, get, max_nodes, query_handler, service, tree_of, Params, Selection, LEFT, PLAIN, RIGHT,
};
use crate::query::timeline::{step_seconds, timeline};
use crate::query::QueryService;
use crate::request::tenant;
use crate::response::{go_json, json_response};
use crate::state::ApiState;

query_handler!(
    /// `GET /pyroscope/render`.
    render => render_request
);

query_handler!(
    /// `GET /pyroscope/render-diff`.
    render_diff => diff_request
);

query_handler!(
    /// `GET /pyroscope/label-values`.
    label_values => label_values_request
);

async fn render_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let sel = Selection::read(svc.as_ref(), &tenant, params, PLAIN, state.now()).await?;
    if get(params, "format") == Some("dot") {
        return render_dot(svc.as_ref(), &tenant, &sel, max_nodes(params)).await;
    }
    let view = View {
        max_nodes: max_nodes(params).unwrap_or(0),
        group_by: all(params, "groupBy"),
        average: get(params, "aggregation") == Some("avg"),
    };
    let fb = flamebearer_of(svc.as_ref(), &tenant, &sel, &view).await?;
    Ok(json_response(blocking(move || Ok(go_json(&fb))).await?))
}

/// How a render shows its selection: flame graph size and timelines.
pub struct View {
    /// 0: the querier's default.
    pub max_nodes: i64,
    /// The first one names the `groups` timelines.
    pub group_by: Vec<String>,
    pub average: bool,
}

/// The flame graph and timeline(s) of a selection, queried concurrently,
/// as Pyroscope's `Render` puts them together (on the blocking pool).
pub async fn flamebearer_of(
    svc: &dyn QueryService,
    tenant: &str,
    sel: &Selection,
    view: &View,
) -> Result<FlamebearerProfile, ApiError> {
    let step = step_seconds(sel.start, sel.end);
    let aggregation =
        if view.average { t::TimeSeriesAggregationType::Average } else { t::TimeSeriesAggregationType::Sum };
    let series_req = q::SelectSeriesRequest {
        profile_type_id: sel.profile_type.id(),
        label_selector: sel.label_selector.clone(),
        start: sel.start,
        end: sel.end,
        group_by: view.group_by.clone(),
        step,
        aggregation: Some(aggregation as i32),
        ..Default::default()
    };
    let (flame, series) = futures::try_join!(
        svc.select_merge_stacktraces(tenant, sel.merge_request(Some(view.max_nodes))),
        svc.select_series(tenant, series_req)
    )?;
    let (sel, by) = (sel.clone(), view.group_by.first().cloned());
    blocking(move || Ok(flamebearer(flame, series, &sel, by.as_deref(), step))).await
}

/// The flamebearer of a merged flame graph, with the series as timelines
/// (one per value of `by` when given).
fn flamebearer(
    flame: q::SelectMergeStacktracesResponse,
    series: q::SelectSeriesResponse,
    sel: &Selection,
    by: Option<&str>,
    step: f64,
) -> FlamebearerProfile {
    let mut fb = export(&flame.flamegraph.unwrap_or_default(), &sel.profile_type);
    let line = |s: Option<&t::Series>| -> Timeline {
        let points: Vec<(i64, f64)> =
            s.map_or(Vec::new(), |s| s.points.iter().map(|p| (p.timestamp, p.value)).collect());
        timeline(&points, sel.start, sel.end, step as i64)
    };
    let only = if series.series.len() == 1 { series.series.first() } else { None };
    fb.timeline = Some(line(only));
    if let Some(by) = by {
        let mut groups = BTreeMap::new();
        for s in &series.series {
            let key = s.labels.iter().find(|l| l.name == by).map_or("*", |l| l.value.as_str());
            groups.insert(key.to_owned(), line(Some(s)));
        }
        fb.groups = Some(groups);
    }
    fb
}

/// `format=dot`: Graphviz of the merged profile, at most `max_nodes`
/// functions (100 by default) out of a source profile of at least 512.
async fn render_dot(
    svc: &dyn QueryService,
    tenant: &str,
    sel: &Selection,
    max_nodes: Option<i64>,
) -> Result<Response, ApiError> {
    let dot_nodes = max_nodes.filter(|&n| n > 0).unwrap_or(DEFAULT_DOT_NODES as i64);
    let profile = svc.select_merge_profile(tenant, sel.profile_request(Some(dot_nodes.max(512)))).await?;
    let pt = sel.profile_type.clone();
    let text = blocking(move || {
        let tree = tree_of(profile)?;
        Ok(dot(&tree, &format!("Type: {}", pt.sample_type), &pt.sample_unit, dot_nodes as usize))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

async fn diff_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (fg, left, _) = diff_of(state, params, headers).await?;
    Ok(json_response(blocking(move || Ok(go_json(&export_diff(&fg, &left.profile_type)))).await?))
}

/// The diff flame graph of the `left...` and `right...` parameters, and
/// both selections; their profile types must match.
pub async fn diff_of(
    state: &ApiState,
    params: &Params,
    headers: &HeaderMap,
) -> Result<(FlameGraphDiff, Selection, Selection), ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let left = Selection::read(svc.as_ref(), &tenant, params, LEFT, state.now()).await?;
    let right = Selection::read(svc.as_ref(), &tenant, params, RIGHT, state.now()).await?;
    if left.profile_type != right.profile_type {
        return Err(ApiError::invalid(
            "query",
            format!("profile types must match: {} and {}", left.profile_type, right.profile_type),
        ));
    }
    let mn = Some(max_nodes(params).unwrap_or(0));
    let req = q::DiffRequest { left: Some(left.merge_request(mn)), right: Some(right.merge_request(mn)) };
    let resp = svc.diff(&tenant, req).await?;
    Ok((resp.flamegraph.unwrap_or_default(), left, right))
}

/// `label=__name__`: the profile type ids; any other label: Pyroscope's
/// quirk, `LabelValues` with an empty request. An empty answer is `null`,
/// as Go encodes a nil slice.
async fn label_values_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (svc, tenant) = (service(state)?, tenant(headers)?);
    let label = get(params, "label").filter(|l| !l.is_empty());
    let label = label.ok_or_else(|| ApiError::invalid("label", "label parameter is required"))?;
    let names: Vec<String> = if label == "__name__" {
        let req = q::ProfileTypesRequest { start: 0, end: state.now().div_euclid(1_000_000) };
        svc.profile_types(&tenant, req).await?.profile_types.into_iter().map(|p| p.id).collect()
    } else {
        svc.label_values(&tenant, t::LabelValuesRequest::default()).await?.names
    };
    let body = if names.is_empty() { "null".to_owned() } else { go_json(&names) };
    Ok(json_response(body))
}
