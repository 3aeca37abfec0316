//! `ProfileTypes`, `LabelNames`, `LabelValues`, `Series` and
//! `GetProfileStats`: what the store knows about series, without reading
//! samples.

use std::collections::BTreeSet;

use kiln_model::selector::{AnyOf, PROFILE_TYPE_LABEL};
use kiln_model::ProfileType;
use kiln_store::{Labels, Store};

use crate::error::Result;
use crate::time::{nanos_to_ms, TimeRangeMs};

/// `GetProfileStats`: whether the tenant has data, and its time span in
/// ms (`i64::MAX` and `i64::MIN` when it has none, as Pyroscope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileStats {
    pub data_ingested: bool,
    pub oldest_profile_time: i64,
    pub newest_profile_time: i64,
}

/// The profile types with data in the range, from the `__profile_type__`
/// label values, sorted by id. Values that are not ids are skipped.
pub async fn profile_types(store: &Store, tenant: &str, range: TimeRangeMs) -> Result<Vec<ProfileType>> {
    let ids = store.label_values(tenant, PROFILE_TYPE_LABEL, &AnyOf::default(), range.to_store());
    let mut types: Vec<ProfileType> = ids.iter().filter_map(|id| ProfileType::parse(id).ok()).collect();
    types.sort_by_key(|t| t.id());
    Ok(types)
}

/// Label names of the series matching any of `matchers` (all series when
/// empty), sorted.
pub async fn label_names(store: &Store, tenant: &str, matchers: &[String], range: TimeRangeMs) -> Result<Vec<String>> {
    Ok(store.label_names(tenant, &AnyOf::parse(matchers)?, range.to_store()))
}

/// Values of label `name` on the series matching any of `matchers`,
/// sorted.
pub async fn label_values(
    store: &Store,
    tenant: &str,
    name: &str,
    matchers: &[String],
    range: TimeRangeMs,
) -> Result<Vec<String>> {
    Ok(store.label_values(tenant, name, &AnyOf::parse(matchers)?, range.to_store()))
}

/// Label sets of the series matching any of `matchers`, reduced to
/// `label_names` when that is not empty, distinct and sorted.
pub async fn series(
    store: &Store,
    tenant: &str,
    matchers: &[String],
    label_names: &[String],
    range: TimeRangeMs,
) -> Result<Vec<Labels>> {
    let all = store.series(tenant, &AnyOf::parse(matchers)?, range.to_store());
    let kept: BTreeSet<Labels> = all
        .into_iter()
        .map(|labels| {
            if label_names.is_empty() {
                labels
            } else {
                labels.into_iter().filter(|(n, _)| label_names.contains(n)).collect()
            }
        })
        .collect();
    Ok(kept.into_iter().collect())
}

/// The tenant's `GetProfileStats`.
pub async fn profile_stats(store: &Store, tenant: &str) -> Result<ProfileStats> {
    let s = store.stats(tenant);
    Ok(ProfileStats {
        data_ingested: s.profiles > 0,
        oldest_profile_time: s.oldest_nanos.map_or(i64::MAX, nanos_to_ms),
        newest_profile_time: s.newest_nanos.map_or(i64::MIN, nanos_to_ms),
    })
}
