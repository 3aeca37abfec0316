//! `span_selector` and `trace_id_selector`: merging only the samples of
//! given spans or traces, the ids checked as Pyroscope checks them.

use kiln_model::Tree;
use kiln_store::{Store, SPAN_ID, TRACE_ID};

use crate::error::{QueryError, Result};
use crate::merge::{cut_to_call_site, profile_type_filter, resolve_max_nodes, MergeRequest};

/// Which samples a merge keeps, by a sample label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleFilter {
    /// Samples whose `span_id` is one of these (16 hex characters each).
    Spans(Vec<String>),
    /// Samples whose `trace_id` is one of these (32 hex characters each).
    Traces(Vec<String>),
}

impl SampleFilter {
    /// The filter of a request's `span_selector` and `trace_id_selector`:
    /// `None` when both are empty; both set, or a malformed id, is
    /// `InvalidArgument` naming the field.
    pub fn from_selectors(span_selector: &[String], trace_id_selector: &[String]) -> Result<Option<SampleFilter>> {
        match (span_selector.is_empty(), trace_id_selector.is_empty()) {
            (true, true) => Ok(None),
            (false, false) => Err(QueryError::invalid("span_selector and trace_id_selector cannot be combined")),
            (false, true) => {
                check_hex("span_selector", span_selector, 16)?;
                Ok(Some(SampleFilter::Spans(span_selector.to_vec())))
            }
            (true, false) => {
                check_hex("trace_id_selector", trace_id_selector, 32)?;
                Ok(Some(SampleFilter::Traces(trace_id_selector.to_vec())))
            }
        }
    }

    fn label_and_values(&self) -> (&'static str, &[String]) {
        match self {
            SampleFilter::Spans(v) => (SPAN_ID, v),
            SampleFilter::Traces(v) => (TRACE_ID, v),
        }
    }
}

fn check_hex(field: &str, ids: &[String], len: usize) -> Result<()> {
    match ids.iter().find(|id| id.len() != len || !id.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(id) => Err(QueryError::invalid(format!("{field}: {id:?} must be {len} hexadecimal characters"))),
        None => Ok(()),
    }
}

/// The merged call tree of the request's series over its range, of only
/// the samples the filter keeps, cut to the call site when one is given.
pub async fn select_merge_filtered(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    filter: &SampleFilter,
) -> Result<Tree> {
    resolve_max_nodes(req.max_nodes)?;
    let series = profile_type_filter(&req.profile_type_id, &req.label_selector)?;
    let (label, values) = filter.label_and_values();
    let tree = store.merge_tree_sample_label(tenant, &series, req.range.to_store(), label, values).await?;
    cut_to_call_site(tree, req).await
}
