//! `from` and `until` of legacy `/ingest`, read as Pyroscope's
//! `pkg/og/util/attime.Parse` reads them (a rough port of Graphite's
//! `attime`).
//!
//! After removing spaces, `_` and `,`:
//! - empty means now;
//! - 8 digits forming a valid date with a year after 1900 is `YYYYMMDD`,
//!   midnight UTC;
//! - other digit strings are Unix time whose unit follows the length:
//!   13 digits are milliseconds, 16 microseconds, 19 nanoseconds, any other
//!   length seconds;
//! - anything else is `now` followed by at most one signed offset such as
//!   `now-1h`. The unit is matched by prefix, as Pyroscope does: `s`
//!   seconds, `mon` or `M` 30 days, `min` or `m` minutes (so `ms` means
//!   minutes, not milliseconds), `h`, `d`, `w`, `y` (365 days). Whatever
//!   follows the unit is ignored (`now-1h30m` is one hour ago) and a
//!   missing unit means no offset (`now-1` is now), both as in Pyroscope.
//!
//! Pyroscope reads every other string as now; Kiln refuses them instead
//! (a reference other than `now`, an unknown unit, a number out of range),
//! so a typo is reported rather than silently stored at the wrong time.
//! RFC 3339 is not accepted: Pyroscope does not accept it either.

use crate::error::{Error, Result};

const FORMAT: &str = "time";
const NANOS_PER_SECOND: i64 = 1_000_000_000;
const DAY: i64 = 86_400;

/// Parses a `from` / `until` value into Unix nanoseconds; `now_nanos` is
/// the current time.
pub fn parse(s: &str, now_nanos: i64) -> Result<i64> {
    let s: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '_' | ',')).collect();
    if s.is_empty() {
        return Ok(now_nanos);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_digits(&s);
    }
    let split = s.find('+').or_else(|| s.find('-')).unwrap_or(s.len());
    let (reference, offset) = s.split_at(split);
    if !reference.is_empty() && reference != "now" {
        return Err(Error::invalid(FORMAT, format!("{s:?}: expected Unix time, YYYYMMDD or now[+-offset]")));
    }
    let offset = parse_offset(offset).ok_or_else(|| Error::invalid(FORMAT, format!("{s:?}: invalid offset")))?;
    now_nanos.checked_add(offset).ok_or_else(|| Error::invalid(FORMAT, format!("{s:?} is out of range")))
}

fn parse_digits(s: &str) -> Result<i64> {
    if s.len() == 8 {
        if let Some(seconds) = date_seconds(s) {
            return Ok(seconds * NANOS_PER_SECOND);
        }
    }
    let out_of_range = || Error::invalid(FORMAT, format!("Unix time {s} is out of range"));
    let v: i64 = s.parse().map_err(|_| out_of_range())?;
    let scale = match s.len() {
        13 => 1_000_000,
        16 => 1_000,
        19 => 1,
        _ => NANOS_PER_SECOND,
    };
    v.checked_mul(scale).ok_or_else(out_of_range)
}

/// Seconds since the epoch of a valid `YYYYMMDD` date after 1900.
fn date_seconds(s: &str) -> Option<i64> {
    let year: i64 = s[..4].parse().ok()?;
    let month: i64 = s[4..6].parse().ok()?;
    let day: i64 = s[6..].parse().ok()?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if year <= 1900 || !(1..=12).contains(&month) || day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY)
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A signed offset like `-1h` in nanoseconds; `None` when invalid.
fn parse_offset(offset: &str) -> Option<i64> {
    let (sign, rest) = match offset.as_bytes().first() {
        None => return Some(0),
        Some(b'-') => (-1, &offset[1..]),
        Some(b'+') => (1, &offset[1..]),
        Some(_) => (1, offset),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let num: i64 = if digits == 0 { 0 } else { rest[..digits].parse().ok()? };
    let seconds = unit_seconds(&rest[digits..])?;
    num.checked_mul(seconds)?.checked_mul(sign)?.checked_mul(NANOS_PER_SECOND)
}

/// Seconds in a unit matched by prefix, in Pyroscope's order; an empty unit
/// counts for nothing.
fn unit_seconds(unit: &str) -> Option<i64> {
    let p = |prefix: &str| unit.starts_with(prefix);
    Some(if unit.is_empty() {
        0
    } else if p("s") {
        1
    } else if p("mon") || p("M") {
        30 * DAY
    } else if p("min") || p("m") {
        60
    } else if p("h") {
        3_600
    } else if p("d") {
        DAY
    } else if p("w") {
        7 * DAY
    } else if p("y") {
        365 * DAY
    } else {
        return None;
    })
}
