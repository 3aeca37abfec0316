//! Sample values too large to sum: a value near `i64::MAX` (a buggy or
//! hostile client) would saturate every total it enters, pinning a
//! tenant's merged totals at the maximum for good. Values above
//! [`MAX_SAMPLE_VALUE`] are clamped to it when a profile is ingested, and
//! counted so the server can report them.

use crate::profile::Profile;

/// The largest value one sample keeps: 2^47, about 39 hours of CPU in
/// nanoseconds or 140 TB in bytes. 65,536 samples at this value still sum
/// below `i64::MAX`.
pub const MAX_SAMPLE_VALUE: i64 = 1 << 47;

/// Clamps every sample value above [`MAX_SAMPLE_VALUE`]; returns how many
/// values were clamped.
pub fn clamp_values(profile: &mut Profile) -> usize {
    let mut clamped = 0;
    for v in profile.samples.iter_mut().flat_map(|s| s.values.iter_mut()) {
        if *v > MAX_SAMPLE_VALUE {
            *v = MAX_SAMPLE_VALUE;
            clamped += 1;
        }
    }
    clamped
}
