//! Filling a report header from a decoded profile.

use kiln_model::{Profile, ProfileType};

use crate::ReportMeta;

impl ReportMeta {
    /// The header of a report of one sample type of `p`: its profile type,
    /// unit, duration, sample rate (from a nanosecond period) and date.
    pub fn for_profile(title: &str, subject: &str, p: &Profile, profile_type: &ProfileType) -> ReportMeta {
        let (_, period_unit) = p.value_type(p.period_type);
        let sample_rate = match (period_unit, p.period) {
            ("nanoseconds", period) if period > 0 => u32::try_from(1_000_000_000 / period).unwrap_or(0),
            _ => 0,
        };
        ReportMeta {
            title: title.to_owned(),
            subject: subject.to_owned(),
            profile_type: profile_type.id(),
            unit: profile_type.sample_unit.clone(),
            duration_nanos: p.duration_nanos.max(0),
            sample_rate,
            date: if p.time_nanos > 0 { rfc3339(p.time_nanos) } else { String::new() },
        }
    }
}

/// Unix nanoseconds as an RFC 3339 UTC timestamp to the second.
pub fn rfc3339(unix_nanos: i64) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day),
/// after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_200_000_000_000), "2024-03-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000_000_000 + 3_723_000_000_000), "2000-02-29T01:02:03Z");
    }
}
