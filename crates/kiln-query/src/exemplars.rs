//! Exemplars: the stored profiles (or spans) a point or heatmap cell
//! points at, with their value, as Pyroscope's `types.v1.Exemplar`.

use std::sync::Arc;

use kiln_store::{Labels, RowRef, SpanRef};

use crate::error::{QueryError, Result};
use crate::time::nanos_to_ms;

/// What a query attaches to its points (`types.v1.ExemplarType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExemplarKind {
    /// `UNSPECIFIED` or `NONE`: no exemplars.
    #[default]
    None,
    /// The profiles with the largest values.
    Individual,
    /// The spans with the largest values.
    Span,
}

impl ExemplarKind {
    /// From the wire enum's number; an unknown one is `InvalidArgument`.
    pub fn from_wire(n: i32) -> Result<ExemplarKind> {
        match n {
            0 | 1 => Ok(ExemplarKind::None),
            2 => Ok(ExemplarKind::Individual),
            3 => Ok(ExemplarKind::Span),
            n => Err(QueryError::invalid(format!("exemplar_type: unknown exemplar type {n}"))),
        }
    }
}

/// One exemplar, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemplar {
    /// Unix ms.
    pub timestamp: i64,
    /// The stored profile's id (`None` for a span).
    pub profile_id: Option<u128>,
    pub span_id: String,
    pub trace_id: String,
    pub value: i64,
    /// The profile's series labels other than the `group_by` ones.
    pub labels: Labels,
}

/// A candidate exemplar, kept cheap until it is chosen.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub time_nanos: i64,
    pub profile_id: Option<u128>,
    pub span_id: Option<Arc<str>>,
    pub trace_id: Option<Arc<str>>,
    pub value: i64,
    pub labels: Arc<Labels>,
}

impl Candidate {
    pub fn of_row(r: &RowRef<'_>) -> Candidate {
        Candidate {
            time_nanos: r.time_nanos,
            profile_id: Some(r.id),
            span_id: None,
            trace_id: None,
            value: r.total,
            labels: r.labels.clone(),
        }
    }

    pub fn of_span(s: &SpanRef<'_>) -> Candidate {
        Candidate {
            time_nanos: s.time_nanos,
            profile_id: None,
            span_id: Some(s.span_id.into()),
            trace_id: (!s.trace_id.is_empty()).then(|| s.trace_id.into()),
            value: s.value,
            labels: s.labels.clone(),
        }
    }

    /// The order of candidates: the larger value, then the earlier one,
    /// then the smaller profile id.
    fn rank(&self) -> Rank {
        rank(self.value, self.time_nanos, self.profile_id)
    }

    /// The exemplar, its labels without the `group_by` ones.
    pub fn exemplar(&self, group_by: &[String]) -> Exemplar {
        Exemplar {
            timestamp: nanos_to_ms(self.time_nanos),
            profile_id: self.profile_id,
            span_id: self.span_id.as_deref().unwrap_or_default().to_owned(),
            trace_id: self.trace_id.as_deref().unwrap_or_default().to_owned(),
            value: self.value,
            labels: self.labels.iter().filter(|(n, _)| !group_by.contains(n)).cloned().collect(),
        }
    }
}

type Rank = (i64, i64, std::cmp::Reverse<Option<u128>>);

fn rank(value: i64, time_nanos: i64, profile_id: Option<u128>) -> Rank {
    (value, time_nanos.saturating_neg(), std::cmp::Reverse(profile_id))
}

/// Keeps the best candidate offered: the row's candidate is built only
/// when it beats the one kept.
pub(crate) fn offer_row(best: &mut Option<Candidate>, r: &RowRef<'_>) {
    if best.as_ref().is_none_or(|b| rank(r.total, r.time_nanos, Some(r.id)) > b.rank()) {
        *best = Some(Candidate::of_row(r));
    }
}

/// [`offer_row`] for a span.
pub(crate) fn offer_span(best: &mut Option<Candidate>, s: &SpanRef<'_>) {
    if best.as_ref().is_none_or(|b| rank(s.value, s.time_nanos, None) > b.rank()) {
        *best = Some(Candidate::of_span(s));
    }
}
