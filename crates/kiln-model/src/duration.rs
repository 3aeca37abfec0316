//! The one duration grammar of Kiln, shared by the command line
//! (`--duration 30s`) and the server's configuration (`retention_max_age`,
//! `reject_older_than`, ...): a number, optionally with a fraction, then a
//! unit: `ms`, `s`, `m`, `h`, `d` or `w` (`500ms`, `90s`, `1.5m`, `12h`,
//! `30d`, `2w`). A bare number counts seconds, so `0` is zero.

use std::time::Duration;

use crate::error::{Error, Result};

const UNITS: [(&str, f64); 6] =
    [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86_400.0), ("w", 604_800.0)];

/// Parses a duration such as `90s`, `1.5m`, `12h`, `30d`, `2w`, `500ms` or `0`.
pub fn parse(text: &str) -> Result<Duration> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(not_a_duration(text));
    }
    let n: f64 = number.parse().map_err(|_| not_a_duration(text))?;
    let scale = match unit {
        "" => 1.0,
        _ => UNITS.iter().find(|(name, _)| *name == unit).map(|(_, scale)| *scale).ok_or_else(|| {
            Error::invalid("duration", format!("unknown unit {unit:?} in {text:?}; use ms, s, m, h, d or w"))
        })?,
    };
    Duration::try_from_secs_f64(n * scale).map_err(|_| Error::invalid("duration", format!("{text:?} is too long")))
}

fn not_a_duration(text: &str) -> Error {
    Error::invalid("duration", format!("{text:?} is not a duration like 90s, 1.5m, 12h, 30d, 2w or 500ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Result<Duration> {
        Ok(Duration::from_secs_f64(s))
    }

    #[test]
    fn every_unit_scales_its_number() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("90s"), secs(90.0));
        assert_eq!(parse("15m"), secs(900.0));
        assert_eq!(parse("12h"), secs(43_200.0));
        assert_eq!(parse("30d"), secs(2_592_000.0));
        assert_eq!(parse("2w"), secs(1_209_600.0));
    }

    #[test]
    fn fractions_are_taken_in_any_unit() {
        assert_eq!(parse("1.5m"), secs(90.0));
        assert_eq!(parse("0.5h"), secs(1800.0));
        assert_eq!(parse("2.5ms"), Ok(Duration::from_micros(2500)));
    }

    #[test]
    fn a_bare_number_counts_seconds_and_zero_is_zero() {
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("1.5"), secs(1.5));
        assert_eq!(parse(" 30s "), secs(30.0), "surrounding spaces are ignored");
    }

    #[test]
    fn garbage_is_refused_with_the_accepted_forms_named() {
        for bad in ["", "s", "abc", "3 weeks", "1..5s", ".5s", "5.s", "-1s", "1s2", "1e3s"] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.kind, crate::ErrorKind::InvalidArgument, "{bad}");
            assert!(e.message.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        let unit = parse("3y").unwrap_err();
        assert!(unit.message.contains("use ms, s, m, h, d or w"), "{unit}");
        assert!(parse("1.5m").is_ok() && parse("10x").unwrap_err().message.contains("unknown unit"));
    }

    #[test]
    fn a_duration_too_long_to_hold_is_refused() {
        let e = parse("99999999999999999999w").unwrap_err();
        assert!(e.message.contains("too long"), "{e}");
    }
}
