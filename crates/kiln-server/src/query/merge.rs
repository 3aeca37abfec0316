//! `SelectMergeStacktraces`, `SelectMergeProfile`, `SelectMergeSpanProfile`
//! and `Diff`: wire fields mapped to `kiln-query`'s merges.

use kiln_api::pb::querier::v1 as q;
use kiln_model::flamegraph::flame_graph;
use kiln_model::pb::google::v1::Profile as PprofMessage;
use kiln_model::Tree;
use kiln_query::{resolve_max_nodes, select_merge_tree, tree_pprof, MergeRequest};
use kiln_store::Store;

use super::{call_site_names, fields, invalid, QueryLimits, Result, StoreQuery};
use crate::error::api_error;

fn merge_request(limits: &QueryLimits, r: &q::SelectMergeStacktracesRequest) -> Result<MergeRequest> {
    Ok(MergeRequest {
        profile_type_id: r.profile_type_id.clone(),
        label_selector: r.label_selector.clone(),
        range: limits.range(r.start, r.end)?,
        max_nodes: limits.max_nodes(r.max_nodes)?,
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
    match fields::sample_filter(&r.span_selector, &r.trace_id_selector)? {
        Some(f) => kiln_query::select_merge_filtered(store, tenant, req, &f).await.map_err(api_error),
        None => select_merge_tree(store, tenant, req, &r.profile_id_selector).await.map_err(api_error),
    }
}

impl StoreQuery {
    pub(super) async fn merge_stacktraces(
        &self,
        tenant: &str,
        r: q::SelectMergeStacktracesRequest,
    ) -> Result<q::SelectMergeStacktracesResponse> {
        fields::refuse_unserved_merge_fields(&r, "")?;
        let req = merge_request(&self.1, &r)?;
        let max_nodes = resolve_max_nodes(req.max_nodes).map_err(api_error)?;
        let format = match q::ProfileFormat::try_from(r.format) {
            Ok(q::ProfileFormat::Dot) => {
                return Err(invalid("PROFILE_FORMAT_DOT is not supported by Kiln: ask for PROFILE_FORMAT_PPROF"))
            }
            Ok(f) => f,
            Err(_) => return Err(invalid(format!("unknown profile format {}", r.format))),
        };
        let by_samples = fields::sample_filter(&r.span_selector, &r.trace_id_selector)?.is_some();
        if format == q::ProfileFormat::Pprof && !by_samples {
            let profile = kiln_query::select_merge_profile(&self.0, tenant, &req, &r.profile_id_selector)
                .await
                .map_err(api_error)?;
            let pprof = Some(q::PprofProfile { profile: Some(profile) });
            return Ok(q::SelectMergeStacktracesResponse { pprof, ..Default::default() });
        }
        let tree = request_tree(&self.0, tenant, &req, &r).await?;
        let answer = kiln_query::blocking(move || {
            let mut out = q::SelectMergeStacktracesResponse::default();
            match format {
                q::ProfileFormat::Tree => out.tree = kiln_model::tree_format::encode(&tree, max_nodes),
                // Span and trace filters keep frame names only.
                q::ProfileFormat::Pprof => {
                    let profile = tree_pprof(&tree.truncated(max_nodes), &req.profile_type_id, req.range)?;
                    out.pprof = Some(q::PprofProfile { profile: Some(profile) });
                }
                _ => out.flamegraph = Some(flame_graph(&tree, max_nodes)),
            }
            Ok(out)
        });
        answer.await.and_then(|r| r).map_err(api_error)
    }

    pub(super) async fn merge_profile(&self, tenant: &str, r: q::SelectMergeProfileRequest) -> Result<PprofMessage> {
        let traces = fields::sample_filter(&[], &r.trace_id_selector)?;
        if traces.is_some() && !r.profile_id_selector.is_empty() {
            return Err(invalid("profile_id_selector cannot be combined with trace_id_selector in Kiln"));
        }
        let req = MergeRequest {
            profile_type_id: r.profile_type_id.clone(),
            label_selector: r.label_selector.clone(),
            range: self.1.range(r.start, r.end)?,
            max_nodes: self.1.max_nodes(r.max_nodes)?,
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
    pub(super) async fn merge_span_profile(
        &self,
        tenant: &str,
        r: q::SelectMergeSpanProfileRequest,
    ) -> Result<q::SelectMergeSpanProfileResponse> {
        fields::refuse_span_profile_format(r.format)?;
        let req = MergeRequest {
            profile_type_id: r.profile_type_id,
            label_selector: r.label_selector,
            range: self.1.range(r.start, r.end)?,
            max_nodes: self.1.max_nodes(r.max_nodes)?,
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

    pub(super) async fn diff(&self, tenant: &str, r: q::DiffRequest) -> Result<q::DiffResponse> {
        let (Some(left), Some(right)) = (r.left, r.right) else {
            return Err(invalid("Diff needs both left and right"));
        };
        for (side, r) in [("left.", &left), ("right.", &right)] {
            fields::refuse_unserved_merge_fields(r, side)?;
            fields::refuse_diff_format(r, side.trim_end_matches('.'))?;
        }
        let (l, rr) = (merge_request(&self.1, &left)?, merge_request(&self.1, &right)?);
        // The larger of the two sides' max_nodes, as Pyroscope's Diff.
        let max_nodes = resolve_max_nodes(l.max_nodes.max(rr.max_nodes)).map_err(api_error)?;
        let lt = request_tree(&self.0, tenant, &l, &left).await?;
        let rt = request_tree(&self.0, tenant, &rr, &right).await?;
        let flamegraph = kiln_query::diff_flame_graph(lt, rt, max_nodes).await.map_err(api_error)?;
        Ok(q::DiffResponse { flamegraph: Some(flamegraph) })
    }
}
