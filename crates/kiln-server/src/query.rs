//! The storage engine and `kiln-query` as the API's querier service: wire
//! messages in, `kiln-query` calls, wire messages out: nothing here but
//! field mapping (query errors map to API errors in `error.rs`).

use futures::future::BoxFuture;
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{Answer, ApiError, QueryService};
use kiln_model::flamegraph::flame_graph;
use kiln_model::pb::google::v1::Profile as PprofMessage;
use kiln_model::Tree;
use kiln_query::{
    resolve_max_nodes, select_merge_tree, tree_pprof, Aggregation, ExemplarKind, MergeRequest, SeriesRequest,
    TimeRangeMs,
};
use kiln_store::{Labels, Store};

use crate::error::api_error;

use crate::{query_fields, query_heatmap};

/// Answers `querier.v1.QuerierService` from a store.
pub struct StoreQuery(pub Store);

type Result<T> = std::result::Result<T, ApiError>;

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid("query", message)
}

/// A request's `[start, end]` in ms; `end` before `start` is refused.
fn range(start: i64, end: i64) -> Result<TimeRangeMs> {
    TimeRangeMs::new(start, end).map_err(api_error)
}

/// The range of a metadata request: both bounds unset means all time.
fn metadata_range(start: i64, end: i64) -> Result<TimeRangeMs> {
    if start == 0 && end == 0 {
        return Ok(TimeRangeMs::all());
    }
    range(start, end)
}

pub(crate) fn pairs(labels: Labels) -> Vec<t::LabelPair> {
    labels.into_iter().map(|(name, value)| t::LabelPair { name, value }).collect()
}

/// `call_site` names, root first; a Go PGO selector is refused.
fn call_site_names(selector: Option<&t::StackTraceSelector>) -> Result<Option<Vec<String>>> {
    let Some(s) = selector else { return Ok(None) };
    if s.go_pgo.is_some() {
        return Err(invalid("stack_trace_selector.go_pgo is not supported by Kiln; use call_site"));
    }
    Ok(Some(s.call_site.iter().map(|l| l.name.clone()).collect()))
}

fn merge_request(r: &q::SelectMergeStacktracesRequest) -> Result<MergeRequest> {
    Ok(MergeRequest {
        profile_type_id: r.profile_type_id.clone(),
        label_selector: r.label_selector.clone(),
        range: range(r.start, r.end)?,
        max_nodes: r.max_nodes,
        stack_trace_selector: call_site_names(r.stack_trace_selector.as_ref())?,
    })
}

/// The merged tree a `SelectMergeStacktraces` request asks for: of only
/// the samples of its spans or traces when it names some.
async fn request_tree(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    r: &q::SelectMergeStacktracesRequest,
) -> Result<Tree> {
    match query_fields::sample_filter(&r.span_selector, &r.trace_id_selector)? {
        Some(f) => kiln_query::select_merge_filtered(store, tenant, req, &f).await.map_err(api_error),
        None => select_merge_tree(store, tenant, req, &r.profile_id_selector).await.map_err(api_error),
    }
}

impl StoreQuery {
    async fn merge_stacktraces(
        &self,
        tenant: &str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Result<q::SelectMergeStacktracesResponse> {
        query_fields::refuse_unserved_merge_fields(&r, "")?;
        let req = merge_request(&r)?;
        let max_nodes = resolve_max_nodes(req.max_nodes).map_err(api_error)?;
        let tree = request_tree(&self.0, tenant, &req, &r).await?;
        let mut out = q::SelectMergeStacktracesResponse::default();
        match q::ProfileFormat::try_from(r.format) {
            Ok(q::ProfileFormat::Unspecified | q::ProfileFormat::Flamegraph) => {
                out.flamegraph = Some(flame_graph(&tree, max_nodes))
            }
            Ok(q::ProfileFormat::Tree) => out.tree = kiln_model::tree_format::encode(&tree, max_nodes),
            Ok(q::ProfileFormat::Pprof) => {
                let profile =
                    tree_pprof(&tree.truncated(max_nodes), &req.profile_type_id, req.range).map_err(api_error)?;
                out.pprof = Some(q::PprofProfile { profile: Some(profile) });
            }
            Ok(q::ProfileFormat::Dot) => {
                return Err(invalid("PROFILE_FORMAT_DOT is not supported by Kiln: ask for PROFILE_FORMAT_PPROF"))
            }
            Err(_) => return Err(invalid(format!("unknown profile format {}", r.format))),
        }
        Ok(out)
    }

    async fn merge_profile(&self, tenant: &str, r: q::SelectMergeProfileRequest) -> Result<PprofMessage> {
        let traces = query_fields::sample_filter(&[], &r.trace_id_selector)?;
        if traces.is_some() && !r.profile_id_selector.is_empty() {
            return Err(invalid("profile_id_selector cannot be combined with trace_id_selector in Kiln"));
        }
        let req = MergeRequest {
            profile_type_id: r.profile_type_id.clone(),
            label_selector: r.label_selector.clone(),
            range: range(r.start, r.end)?,
            max_nodes: r.max_nodes,
            stack_trace_selector: call_site_names(r.stack_trace_selector.as_ref())?,
        };
        let max_nodes = resolve_max_nodes(req.max_nodes).map_err(api_error)?;
        match traces {
            Some(f) => {
                let tree = kiln_query::select_merge_filtered(&self.0, tenant, &req, &f).await.map_err(api_error)?;
                tree_pprof(&tree.truncated(max_nodes), &req.profile_type_id, req.range).map_err(api_error)
            }
            None => {
                kiln_query::select_merge_profile(&self.0, tenant, &req, &r.profile_id_selector).await.map_err(api_error)
            }
        }
    }

    /// The merged tree of the samples whose `span_id` is in the span
    /// selector.
    async fn merge_span_profile(
        &self,
        tenant: &str,
        r: q::SelectMergeSpanProfileRequest,
    ) -> Result<q::SelectMergeSpanProfileResponse> {
        query_fields::refuse_span_profile_format(r.format)?;
        let req = MergeRequest {
            profile_type_id: r.profile_type_id,
            label_selector: r.label_selector,
            range: range(r.start, r.end)?,
            max_nodes: r.max_nodes,
            stack_trace_selector: None,
        };
        let max_nodes = resolve_max_nodes(req.max_nodes).map_err(api_error)?;
        let tree =
            kiln_query::select_merge_span_profile(&self.0, tenant, &req, &r.span_selector).await.map_err(api_error)?;
        let format = q::ProfileFormat::try_from(r.format);
        kiln_query::blocking(move || match format {
            Ok(q::ProfileFormat::Tree) => q::SelectMergeSpanProfileResponse {
                tree: kiln_model::tree_format::encode(&tree, max_nodes),
                ..Default::default()
            },
            _ => q::SelectMergeSpanProfileResponse {
                flamegraph: Some(flame_graph(&tree, max_nodes)),
                ..Default::default()
            },
        })
        .await
        .map_err(api_error)
    }

    async fn select_series(&self, tenant: &str, r: q::SelectSeriesRequest) -> Result<q::SelectSeriesResponse> {
        let site = call_site_names(r.stack_trace_selector.as_ref())?.filter(|s| !s.is_empty());
        let exemplars = query_fields::exemplar_kind(r.exemplar_type)?;
        let aggregation = match r.aggregation.unwrap_or(0) {
            0 => Aggregation::Sum,
            1 => Aggregation::Average,
            n => return Err(invalid(format!("unknown aggregation {n}"))),
        };
        let limit = match r.limit {
            Some(n) if n < 0 => return Err(invalid(format!("limit must not be negative, got {n}"))),
            n => n.map(|n| n as usize),
        };
        let req = SeriesRequest {
            profile_type_id: r.profile_type_id,
            label_selector: r.label_selector,
            range: range(r.start, r.end)?,
            step_seconds: r.step,
            group_by: r.group_by,
            aggregation,
            limit,
        };
        if site.is_some() || exemplars != ExemplarKind::None {
            let series = kiln_query::select_series_exemplars(&self.0, tenant, &req, exemplars, site.as_deref())
                .await
                .map_err(api_error)?;
            return Ok(q::SelectSeriesResponse {
                series: series.into_iter().map(query_fields::exemplar_series).collect(),
            });
        }
        let series = kiln_query::select_series(&self.0, tenant, &req).await.map_err(api_error)?;
        let series = series
            .into_iter()
            .map(|s| t::Series {
                labels: pairs(s.labels),
                points: s
                    .points
                    .into_iter()
                    .map(|(timestamp, value)| t::Point { value, timestamp, ..Default::default() })
                    .collect(),
            })
            .collect();
        Ok(q::SelectSeriesResponse { series })
    }

    async fn diff(&self, tenant: &str, r: q::DiffRequest) -> Result<q::DiffResponse> {
        let (Some(left), Some(right)) = (r.left, r.right) else {
            return Err(invalid("Diff needs both left and right"));
        };
        for (side, r) in [("left.", &left), ("right.", &right)] {
            query_fields::refuse_unserved_merge_fields(r, side)?;
            query_fields::refuse_diff_format(r, side.trim_end_matches('.'))?;
        }
        let (l, rr) = (merge_request(&left)?, merge_request(&right)?);
        // The larger of the two sides' max_nodes, as Pyroscope's Diff.
        let max_nodes = resolve_max_nodes(l.max_nodes.max(rr.max_nodes)).map_err(api_error)?;
        let lt = request_tree(&self.0, tenant, &l, &left).await?;
        let rt = request_tree(&self.0, tenant, &rr, &right).await?;
        let flamegraph = kiln_query::diff_flame_graph(lt, rt, max_nodes).await.map_err(api_error)?;
        Ok(q::DiffResponse { flamegraph: Some(flamegraph) })
    }

    /// What a legacy query string touches, in `kiln-query`'s counts.
    async fn analyze(&self, tenant: &str, r: q::AnalyzeQueryRequest) -> Result<q::AnalyzeQueryResponse> {
        let s =
            kiln_query::analyze_query(&self.0, tenant, &r.query, range(r.start, r.end)?).await.map_err(api_error)?;
        let scope = q::QueryScope {
            component_type: "Kiln store".into(),
            component_count: 1,
            block_count: s.objects,
            series_count: s.series,
            profile_count: s.profiles,
            profile_bytes: s.bytes,
            ..Default::default()
        };
        let impact = q::QueryImpact {
            total_bytes_in_time_range: s.bytes,
            total_queried_series: s.series,
            deduplication_needed: false,
        };
        Ok(q::AnalyzeQueryResponse { query_scopes: vec![scope], query_impact: Some(impact) })
    }
}

fn boxed<'a, T: Send + 'a>(f: impl std::future::Future<Output = Result<T>> + Send + 'a) -> BoxFuture<'a, Result<T>> {
    Box::pin(f)
}

impl QueryService for StoreQuery {
    fn profile_types<'a>(&'a self, tenant: &'a str, r: q::ProfileTypesRequest) -> Answer<'a, q::ProfileTypesResponse> {
        boxed(async move {
            let types =
                kiln_query::profile_types(&self.0, tenant, metadata_range(r.start, r.end)?).await.map_err(api_error)?;
            let profile_types = types
                .into_iter()
                .map(|p| t::ProfileType {
                    id: p.id(),
                    name: p.name,
                    sample_type: p.sample_type,
                    sample_unit: p.sample_unit,
                    period_type: p.period_type,
                    period_unit: p.period_unit,
                })
                .collect();
            Ok(q::ProfileTypesResponse { profile_types })
        })
    }

    fn label_names<'a>(&'a self, tenant: &'a str, r: t::LabelNamesRequest) -> Answer<'a, t::LabelNamesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let names = kiln_query::label_names(&self.0, tenant, &r.matchers, window).await.map_err(api_error)?;
            Ok(t::LabelNamesResponse { names })
        })
    }

    fn label_values<'a>(&'a self, tenant: &'a str, r: t::LabelValuesRequest) -> Answer<'a, t::LabelValuesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let names =
                kiln_query::label_values(&self.0, tenant, &r.name, &r.matchers, window).await.map_err(api_error)?;
            Ok(t::LabelValuesResponse { names })
        })
    }

    fn series<'a>(&'a self, tenant: &'a str, r: q::SeriesRequest) -> Answer<'a, q::SeriesResponse> {
        boxed(async move {
            let window = metadata_range(r.start, r.end)?;
            let sets =
                kiln_query::series(&self.0, tenant, &r.matchers, &r.label_names, window).await.map_err(api_error)?;
            Ok(q::SeriesResponse { labels_set: sets.into_iter().map(|l| t::Labels { labels: pairs(l) }).collect() })
        })
    }

    fn select_merge_stacktraces<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Answer<'a, q::SelectMergeStacktracesResponse> {
        boxed(self.merge_stacktraces(tenant, r))
    }

    fn select_merge_span_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeSpanProfileRequest,
    ) -> Answer<'a, q::SelectMergeSpanProfileResponse> {
        boxed(self.merge_span_profile(tenant, r))
    }

    fn select_merge_profile<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectMergeProfileRequest,
    ) -> Answer<'a, PprofMessage> {
        boxed(self.merge_profile(tenant, r))
    }

    fn select_series<'a>(&'a self, tenant: &'a str, r: q::SelectSeriesRequest) -> Answer<'a, q::SelectSeriesResponse> {
        boxed(self.select_series(tenant, r))
    }

    fn select_heatmap<'a>(
        &'a self,
        tenant: &'a str,
        r: q::SelectHeatmapRequest,
    ) -> Answer<'a, q::SelectHeatmapResponse> {
        boxed(query_heatmap::select_heatmap(&self.0, tenant, r))
    }

    fn diff<'a>(&'a self, tenant: &'a str, r: q::DiffRequest) -> Answer<'a, q::DiffResponse> {
        boxed(self.diff(tenant, r))
    }

    fn get_profile_stats<'a>(
        &'a self,
        tenant: &'a str,
        _r: t::GetProfileStatsRequest,
    ) -> Answer<'a, t::GetProfileStatsResponse> {
        boxed(async move {
            let s = kiln_query::profile_stats(&self.0, tenant).await.map_err(api_error)?;
            Ok(t::GetProfileStatsResponse {
                data_ingested: s.data_ingested,
                oldest_profile_time: s.oldest_profile_time,
                newest_profile_time: s.newest_profile_time,
            })
        })
    }

    fn analyze_query<'a>(&'a self, tenant: &'a str, r: q::AnalyzeQueryRequest) -> Answer<'a, q::AnalyzeQueryResponse> {
        boxed(self.analyze(tenant, r))
    }
}
