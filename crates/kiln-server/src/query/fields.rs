//! Field mapping for the querier's newer fields: exemplars and call sites
//! on `SelectSeries`, span and trace selectors, and the refusal, naming the
//! field, of what Kiln does not serve (nothing is silently ignored).

use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::ApiError;
use kiln_query::{Exemplar, ExemplarKind, ExemplarSeries, SampleFilter};

use super::{invalid, pairs};
use crate::error::api_error;

type Result<T> = std::result::Result<T, ApiError>;

/// Refuses the `SelectMergeStacktraces` fields Kiln does not serve: `async`
/// (answers are synchronous), and span or trace selectors together with
/// `profile_id_selector`.
pub(crate) fn refuse_unserved_merge_fields(r: &q::SelectMergeStacktracesRequest, side: &str) -> Result<()> {
    if r.r#async.is_some() {
        return Err(invalid(format!("{side}async is not supported by Kiln: every query is answered synchronously")));
    }
    let by_sample = !r.span_selector.is_empty() || !r.trace_id_selector.is_empty();
    if by_sample && !r.profile_id_selector.is_empty() {
        return Err(invalid(format!(
            "{side}profile_id_selector cannot be combined with span_selector or trace_id_selector in Kiln"
        )));
    }
    Ok(())
}

/// The sample filter of a request's span and trace selectors.
pub(crate) fn sample_filter(spans: &[String], traces: &[String]) -> Result<Option<SampleFilter>> {
    SampleFilter::from_selectors(spans, traces).map_err(api_error)
}

/// `Diff` always answers a flame graph diff: a side asking for another
/// format is refused.
pub(crate) fn refuse_diff_format(r: &q::SelectMergeStacktracesRequest, side: &str) -> Result<()> {
    match q::ProfileFormat::try_from(r.format) {
        Ok(q::ProfileFormat::Unspecified | q::ProfileFormat::Flamegraph) => Ok(()),
        _ => Err(invalid(format!("{side}.format: Diff answers a flame graph diff; leave format unset"))),
    }
}

/// `SelectMergeSpanProfile` answers a flame graph or a tree; other formats
/// are refused.
pub(crate) fn refuse_span_profile_format(format: i32) -> Result<()> {
    match q::ProfileFormat::try_from(format) {
        Ok(q::ProfileFormat::Unspecified | q::ProfileFormat::Flamegraph | q::ProfileFormat::Tree) => Ok(()),
        _ => Err(invalid(format!(
            "format {format}: SelectMergeSpanProfile answers PROFILE_FORMAT_FLAMEGRAPH or PROFILE_FORMAT_TREE"
        ))),
    }
}

/// The request's `exemplar_type`.
pub(crate) fn exemplar_kind(n: i32) -> Result<ExemplarKind> {
    ExemplarKind::from_wire(n).map_err(api_error)
}

pub(crate) fn exemplar(e: Exemplar) -> t::Exemplar {
    t::Exemplar {
        timestamp: e.timestamp,
        profile_id: e.profile_id.map(|id| uuid::Uuid::from_u128(id).to_string()).unwrap_or_default(),
        span_id: e.span_id,
        value: e.value,
        labels: pairs(e.labels),
        trace_id: e.trace_id,
    }
}

pub(crate) fn exemplar_series(s: ExemplarSeries) -> t::Series {
    let points = s
        .points
        .into_iter()
        .map(|p| t::Point {
            value: p.value,
            timestamp: p.timestamp,
            annotations: Vec::new(),
            exemplars: p.exemplars.into_iter().map(exemplar).collect(),
        })
        .collect();
    t::Series { labels: pairs(s.labels), points }
}
