//! A scrape target: an address and the labels its profiles are stored
//! with, as Prometheus and Alloy give them: the group's labels, `job` (the
//! job's name), `instance` (the address, unless the group sets it) and
//! `service_name` (the group's, else the job's name).

use std::collections::BTreeMap;

/// Targets sharing labels: a `static_configs` entry or one element of a
/// file_sd file (`{"targets": [...], "labels": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    pub targets: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One endpoint to scrape; two targets are the same when both the address
/// and the labels are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// `host:port`.
    pub address: String,
    /// Sorted by name, `__name__` not included.
    pub labels: Vec<(String, String)>,
}

impl Target {
    pub fn new(job: &str, address: &str, group_labels: &BTreeMap<String, String>) -> Target {
        let mut labels = group_labels.clone();
        labels.insert("job".to_owned(), job.to_owned());
        labels.entry("instance".to_owned()).or_insert_with(|| address.to_owned());
        labels.entry("service_name".to_owned()).or_insert_with(|| job.to_owned());
        Target { address: address.to_owned(), labels: labels.into_iter().collect() }
    }

    /// Every target of `groups`.
    pub fn all_of(job: &str, groups: &[TargetGroup]) -> Vec<Target> {
        groups.iter().flat_map(|g| g.targets.iter().map(|address| Target::new(job, address, &g.labels))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(t: &Target) -> Vec<(&str, &str)> {
        t.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn service_name_comes_from_the_labels_else_the_job() {
        let labels = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let t = Target::new("go-apps", "127.0.0.1:6060", &labels);
        assert_eq!(
            pairs(&t),
            [("env", "prod"), ("instance", "127.0.0.1:6060"), ("job", "go-apps"), ("service_name", "go-apps")]
        );
        let named = BTreeMap::from([("service_name".to_owned(), "api".to_owned())]);
        assert!(pairs(&Target::new("go-apps", "h:1", &named)).contains(&("service_name", "api")));
    }
}
