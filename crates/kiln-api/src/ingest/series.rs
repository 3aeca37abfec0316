//! From a prepared push (normalised profile and its series) to what the
//! sink stores. A series restricted to some samples (sample labels split
//! the profile) gets a profile of just those samples.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_model::ingest::clamp::MAX_SAMPLE_VALUE;
use kiln_model::ingest::series::PushSeries;
use kiln_model::Profile;

use crate::error::ApiError;
use crate::ingest::{Ingested, SeriesRef};
use crate::state::ApiState;

/// The profiles to store for one prepared push; empty when normalisation
/// left no samples. Clamped sample values are counted in `/metrics` and
/// logged.
pub fn ingested(state: &ApiState, push: PushSeries, id: u128) -> Vec<Ingested> {
    let PushSeries { profile, series, clamped, .. } = push;
    if clamped > 0 {
        state.metrics.clamped(clamped as u64);
        let labels = series.first().map(|s| kiln_model::ingest::labels::to_string(&s.labels)).unwrap_or_default();
        tracing::warn!("clamped {clamped} sample values above {MAX_SAMPLE_VALUE} in a profile of {labels}");
    }
    let (time_nanos, duration_nanos) = (profile.time_nanos, profile.duration_nanos);
    let mut by_subset: BTreeMap<Option<Vec<u32>>, Vec<SeriesRef>> = BTreeMap::new();
    for s in series {
        by_subset.entry(s.samples).or_default().push((s.labels, s.sample_type));
    }
    let whole = Arc::new(profile);
    by_subset
        .into_iter()
        .enumerate()
        .map(|(i, (subset, series))| Ingested {
            // Each subset is a distinct profile; keep ids distinct too.
            id: id.wrapping_add(i as u128),
            time_nanos,
            duration_nanos,
            profile: match subset {
                None => whole.clone(),
                Some(samples) => Arc::new(restrict(&whole, &samples)),
            },
            series,
        })
        .collect()
}

fn restrict(p: &Profile, samples: &[u32]) -> Profile {
    let mut out = p.clone();
    out.samples = samples.iter().map(|&i| p.samples[i as usize].clone()).collect();
    out
}

/// Hands accepted profiles to the sink (nothing to do when normalisation
/// left none) once the tenant's series limit admits them, and counts the
/// request in `/metrics` under `format`.
pub async fn store(
    state: &ApiState,
    tenant: &str,
    format: &str,
    profiles: Vec<Ingested>,
    body_bytes: u64,
) -> Result<(), ApiError> {
    let n = profiles.len() as u64;
    state.series_limit.admit(tenant, &profiles)?;
    if !profiles.is_empty() {
        state.sink.ingest(tenant, profiles).await?;
    }
    state.metrics.ingested(tenant, format, n, body_bytes);
    Ok(())
}
