//! The timeline of `/pyroscope/render`: the step Pyroscope picks for a range
//! (`pkg/querier/timeline/calculator.go`) and the series points laid out
//! on that step, backfilled with zeros (`timeline.go`).

use kiln_model::flamebearer::Timeline;

/// About this many points per timeline.
const RESOLUTION: i64 = 1500;
/// The smallest step, in seconds.
const MIN_STEP_SECONDS: f64 = 15.0;

/// The timeline step in seconds for a range in ms: `(until - from) / 1500`
/// rounded to a "nice" interval, at least 15 s.
pub fn step_seconds(from_ms: i64, until_ms: i64) -> f64 {
    let span_ns = (i128::from(until_ms) - i128::from(from_ms)) * 1_000_000;
    let interval_ns = span_ns / i128::from(RESOLUTION);
    if interval_ns < (MIN_STEP_SECONDS * 1e9) as i128 {
        return MIN_STEP_SECONDS;
    }
    nice_interval_ms(interval_ns) as f64 / 1000.0
}

/// Rounds an interval in ns to a nice one in ms, as Grafana's `intervalv2`:
/// each row is (upper bound in ms, inclusive; the interval it becomes).
fn nice_interval_ms(interval_ns: i128) -> i64 {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const ROWS: &[(i64, i64)] = &[
        (10, 1),
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, MINUTE),
        (210_000, 2 * MINUTE),
        (450_000, 5 * MINUTE),
        (750_000, 10 * MINUTE),
        (1_050_000, 15 * MINUTE),
        (1_500_000, 20 * MINUTE),
        (2_700_000, 30 * MINUTE),
        (5_400_000, HOUR),
        (9_000_000, 2 * HOUR),
        (16_200_000, 3 * HOUR),
        (32_400_000, 6 * HOUR),
        (86_400_000, 12 * HOUR),
        (172_800_000, DAY),
        (604_800_000, DAY),
        (1_814_400_000, 7 * DAY),
    ];
    if let Some(&(_, nice)) = ROWS.iter().find(|(bound, _)| interval_ns <= i128::from(*bound) * 1_000_000) {
        return nice;
    }
    if interval_ns < 3_628_800_000i128 * 1_000_000 {
        30 * DAY
    } else {
        365 * DAY
    }
}

/// Lays `points` (`(timestamp ms, value)`, ascending) out on the step grid
/// of `[start_ms, end_ms)`: one sample per step from `start_ms / 1000`,
/// zeros where there is no point. Points outside the window are dropped.
pub fn timeline(points: &[(i64, f64)], start_ms: i64, end_ms: i64, step_seconds: i64) -> Timeline {
    let step = step_seconds.max(1);
    let mut out = Timeline { start_time: start_ms / 1000, samples: Vec::new(), duration_delta: step, watermarks: None };
    if start_ms >= end_ms {
        return out;
    }
    let slots = |from_ms: i64, to_ms: i64| ((to_ms / 1000 - from_ms / 1000) / step).max(0) as usize;
    let size = slots(start_ms, end_ms);
    let inside: Vec<(i64, f64)> = points.iter().copied().filter(|(t, _)| *t >= start_ms && *t < end_ms).collect();
    let mut prev: Option<i64> = None;
    for (t, value) in inside {
        let gap = match prev {
            None => slots(start_ms, t),
            Some(p) => slots(p, t).saturating_sub(1),
        };
        out.samples.resize(out.samples.len() + gap, 0);
        out.samples.push(value as u64);
        prev = Some(t);
    }
    if out.samples.len() < size {
        out.samples.resize(size, 0);
    }
    out
}
