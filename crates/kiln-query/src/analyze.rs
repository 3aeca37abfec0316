//! `AnalyzeQuery`: what a legacy query string touches.

use kiln_model::selector::{Query, Selector};
use kiln_store::{Store, TimeRange};

use crate::blocking::blocking;
use crate::error::Result;
use crate::time::TimeRangeMs;

/// The series, profiles and bytes a query reads in a range, and the
/// objects the tenant's data lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryScope {
    pub series: u64,
    pub profiles: u64,
    /// The tenant's stored bytes prorated by profiles: the store keeps no
    /// per-series byte counts.
    pub bytes: u64,
    pub objects: u64,
}

/// The scope of legacy query `query` (`{...}`, `<profile type>{...}` or
/// `app.cpu{...}`) over `range`: its series and profiles exactly, bytes
/// prorated.
pub async fn analyze_query(store: &Store, tenant: &str, query: &str, range: TimeRangeMs) -> Result<QueryScope> {
    let filter = Query::parse(query)?.filter();
    let window = range.to_store();
    let profiles = profiles_in(store, tenant, &filter, window).await?;
    let (store, tenant) = (store.clone(), tenant.to_owned());
    let (series, stats) =
        blocking(move || (store.series(&tenant, &filter, window).len() as u64, store.stats(&tenant))).await?;
    Ok(QueryScope {
        series,
        profiles,
        bytes: prorated(stats.bytes, profiles, stats.profiles),
        objects: stats.objects as u64,
    })
}

/// `bytes * part / whole`, 0 when `whole` is 0.
fn prorated(bytes: u64, part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    (u128::from(bytes) * u128::from(part) / u128::from(whole)) as u64
}

/// How many profiles of the matching series fall in the range.
async fn profiles_in(store: &Store, tenant: &str, filter: &Selector, window: TimeRange) -> Result<u64> {
    let step = window.end.saturating_sub(window.start).saturating_add(1);
    let totals = store.series_totals(tenant, filter, window, step, &[]).await?;
    Ok(totals.values().flat_map(|points| points.values()).map(|(_, count)| count).sum())
}

#[cfg(test)]
mod tests {
    use super::prorated;

    #[test]
    fn bytes_are_prorated_by_profiles_without_overflow() {
        assert_eq!(prorated(1000, 1, 4), 250);
        assert_eq!(prorated(u64::MAX, 3, 3), u64::MAX);
        assert_eq!(prorated(1000, 0, 0), 0);
    }
}
