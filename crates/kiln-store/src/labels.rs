//! Series labels and the filter the query layer passes in.

use kiln_model::selector::{AnyOf, Selector};

/// A series' labels, sorted by name, names unique.
pub type Labels = Vec<(String, String)>;

/// The label that partitions a tenant's data: symbols are stored once per
/// service.
pub const SERVICE_NAME: &str = "service_name";

/// The partition of series without a `service_name` label.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// The value of label `name`.
pub fn get<'a>(labels: &'a [(String, String)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Sorts labels by name and drops later duplicates of a name.
pub fn normalize(mut labels: Labels) -> Labels {
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    labels.dedup_by(|b, a| a.0 == b.0);
    labels
}

/// Chooses the series the query layer asked for. `kiln-store` parses no
/// query language: the query layer passes a parsed `kiln_model` selector
/// (or any filter of its own).
pub trait SeriesFilter: Send + Sync {
    fn matches(&self, labels: &[(String, String)]) -> bool;
}

/// Every series.
pub struct AllSeries;

impl SeriesFilter for AllSeries {
    fn matches(&self, _: &[(String, String)]) -> bool {
        true
    }
}

/// Series whose labels include every given pair: what tests and simple
/// callers need.
pub struct LabelsEqual(pub Labels);

impl SeriesFilter for LabelsEqual {
    fn matches(&self, labels: &[(String, String)]) -> bool {
        self.0.iter().all(|(n, v)| get(labels, n) == Some(v.as_str()))
    }
}

/// Series matching every matcher of the selector.
impl SeriesFilter for Selector {
    fn matches(&self, labels: &[(String, String)]) -> bool {
        Selector::matches(self, labels)
    }
}

/// Series matching any of the selectors (every series when there are none).
impl SeriesFilter for AnyOf {
    fn matches(&self, labels: &[(String, String)]) -> bool {
        AnyOf::matches(self, labels)
    }
}
