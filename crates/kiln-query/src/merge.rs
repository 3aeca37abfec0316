//! `SelectMergeStacktraces` and `Diff`: merged call trees of a profile
//! type's matching series, cut to a call site, as flame graphs.

use kiln_model::flamegraph::{flame_graph, DEFAULT_MAX_NODES};
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff};
use kiln_model::profile_type::ProfileType;
use kiln_model::selector::Selector;
use kiln_model::Tree;
use kiln_store::Store;

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::time::TimeRangeMs;

/// The largest `max_nodes` accepted (`max-flamegraph-nodes-max`).
pub const MAX_NODES_LIMIT: i64 = 1_048_576;

/// A `SelectMergeStacktraces` request, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequest {
    pub profile_type_id: String,
    pub label_selector: String,
    pub range: TimeRangeMs,
    /// `None` or 0: [`DEFAULT_MAX_NODES`].
    pub max_nodes: Option<i64>,
    /// `call_site` location names, root first: only stacks starting with
    /// them are kept.
    pub stack_trace_selector: Option<Vec<String>>,
}

/// `max_nodes` as Pyroscope's `ValidateMaxNodes`: unset or 0 is the
/// default (8192), negative or above 1,048,576 is `InvalidArgument`.
pub fn resolve_max_nodes(max_nodes: Option<i64>) -> Result<i64> {
    match max_nodes.unwrap_or(0) {
        0 => Ok(DEFAULT_MAX_NODES),
        n if n < 0 => Err(QueryError::invalid(format!("max_nodes must be positive, got {n}"))),
        n if n > MAX_NODES_LIMIT => {
            Err(QueryError::invalid(format!("max_nodes {n} is above the limit of {MAX_NODES_LIMIT}")))
        }
        n => Ok(n),
    }
}

/// A profile type id and a label selector as one series filter; either
/// one malformed is `InvalidArgument`.
pub(crate) fn profile_type_filter(profile_type_id: &str, label_selector: &str) -> Result<Selector> {
    let t = ProfileType::parse(profile_type_id)
        .map_err(|e| QueryError::invalid(format!("invalid profile type id: {}", e.message)))?;
    Ok(Selector::parse(label_selector)?.with_profile_type(&t.id()))
}

/// The merged call tree of the request's series over its range, cut to the
/// stack trace selector's call site when one is given.
pub async fn select_merge_stacktraces(store: &Store, tenant: &str, req: &MergeRequest) -> Result<Tree> {
    resolve_max_nodes(req.max_nodes)?;
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let tree = store.merge_tree(tenant, &filter, req.range.to_store()).await?;
    cut_to_call_site(tree, req).await
}

/// `tree` cut to the request's stack trace selector, if it has one, on
/// the blocking pool.
pub(crate) async fn cut_to_call_site(tree: Tree, req: &MergeRequest) -> Result<Tree> {
    match &req.stack_trace_selector {
        Some(site) if !site.is_empty() => {
            let site = site.clone();
            blocking(move || call_site(&tree, &site)).await
        }
        _ => Ok(tree),
    }
}

/// [`select_merge_stacktraces`] as a flame graph of at most `max_nodes`.
pub async fn select_merge_flame_graph(store: &Store, tenant: &str, req: &MergeRequest) -> Result<FlameGraph> {
    let max_nodes = resolve_max_nodes(req.max_nodes)?;
    let tree = select_merge_stacktraces(store, tenant, req).await?;
    blocking(move || flame_graph(&tree, max_nodes)).await
}

/// `SelectMergeSpanProfile`: the merged call tree of the request's series
/// over its range, of only the samples whose `span_id` is one of `span_ids`
/// (none when empty), cut to the stack trace selector's call site when one
/// is given. A span id that is not 16 hexadecimal characters is
/// `InvalidArgument`, as Pyroscope checks it.
pub async fn select_merge_span_profile(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    span_ids: &[String],
) -> Result<Tree> {
    resolve_max_nodes(req.max_nodes)?;
    check_span_ids(span_ids)?;
    let filter = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let tree = store.merge_tree_spans(tenant, &filter, req.range.to_store(), span_ids).await?;
    cut_to_call_site(tree, req).await
}

/// Span ids are 16 hexadecimal characters (8 bytes).
fn check_span_ids(span_ids: &[String]) -> Result<()> {
    match span_ids.iter().find(|s| s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(span) => Err(QueryError::invalid(format!("span id {span:?} must be 16 hexadecimal characters"))),
        None => Ok(()),
    }
}

/// The `Diff` flame graph of two merge requests (their `max_nodes` is
/// ignored: this form uses the default).
pub async fn diff(store: &Store, tenant: &str, left: &MergeRequest, right: &MergeRequest) -> Result<FlameGraphDiff> {
    let l = select_merge_stacktraces(store, tenant, left).await?;
    let r = select_merge_stacktraces(store, tenant, right).await?;
    diff_flame_graph(l, r, DEFAULT_MAX_NODES).await
}

/// The `Diff` flame graph of two merged trees cut to `max_nodes` (the
/// querier passes the larger of its two sides', as Pyroscope's), built on
/// the blocking pool.
pub async fn diff_flame_graph(left: Tree, right: Tree, max_nodes: i64) -> Result<FlameGraphDiff> {
    blocking(move || flame_graph_diff(&left, &right, max_nodes)).await?.map_err(|e| QueryError::invalid(e.message))
}

/// The stacks of `tree` whose first frames, root first, are `site`.
pub fn call_site(tree: &Tree, site: &[String]) -> Tree {
    let mut out = Tree::new();
    tree.for_each_stack(|stack, value| {
        if stack.len() >= site.len() && stack.iter().zip(site).all(|(&n, s)| tree.name(n) == s) {
            let names: Vec<&str> = stack.iter().map(|&n| tree.name(n)).collect();
            out.insert_stack(&names, value);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_ids_must_be_16_hexadecimal_characters() {
        assert!(check_span_ids(&["00112233aabbCCDD".into()]).is_ok());
        for bad in ["0011", "00112233aabbccdz", "00112233aabbccdd0"] {
            let e = check_span_ids(&["0011223344556677".into(), bad.into()]).unwrap_err();
            assert!(e.message.contains(&format!("{bad:?}")), "{}", e.message);
        }
    }
}
