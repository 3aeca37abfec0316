//! One OTLP sample → Kiln samples. OTLP v1.10.0 lets a sample carry one
//! observation per timestamp (`values[i]` at `timestamps_unix_nano[i]`);
//! Kiln keeps time per profile, so each observation becomes one sample of
//! the profile whose time range holds it, with the sample's stack and
//! labels. A sample with timestamps but no values counts its timestamps;
//! one with a single value and no timestamps is that value.

use super::attributes::{value_string, SERVICE_NAME_KEY};
use super::convert::{Conversion, Shape};
use super::dictionary::{Dict, Lookup};
use super::target::Target;
use super::MAX_FRAMES_PER_INPUT_BYTE;
use crate::pb::otlp as pb;
use crate::profile::{Label, Sample};

const SPAN_ID: &str = "span_id";
const TRACE_ID: &str = "trace_id";

/// Takes `frames` (stack frames and labels) from the request's budget.
pub(super) fn spend(budget: &mut usize, frames: usize) -> Lookup<()> {
    *budget = budget.checked_sub(frames).ok_or_else(|| {
        format!("stack_index: samples expand to more than {MAX_FRAMES_PER_INPUT_BYTE} stack frames and labels per input byte")
    })?;
    Ok(())
}

/// How many Kiln samples an OTLP sample becomes (at least one, so a
/// sample that is refused later still costs its stack).
pub(super) fn observation_count(s: &pb::Sample) -> usize {
    if s.timestamps_unix_nano.is_empty() {
        1
    } else {
        s.values.len().max(1)
    }
}

/// The earliest sample timestamp of a profile, for one without a time.
pub(super) fn earliest_timestamp(src: &pb::Profile) -> Option<i64> {
    let earliest = src.samples.iter().flat_map(|s| s.timestamps_unix_nano.iter()).min()?;
    Some(i64::try_from(*earliest).unwrap_or(i64::MAX))
}

/// The Kiln samples of one OTLP sample, its stack resolved into `target`.
pub(super) fn samples(
    target: &mut Target,
    dict: &Dict,
    shape: &Shape,
    period: i64,
    s: &pb::Sample,
    stack: &pb::Stack,
) -> Lookup<Vec<Sample>> {
    let observations = observations(shape, period, s)?;
    let mut locations = Vec::with_capacity(stack.location_indices.len());
    for (j, &l) in stack.location_indices.iter().enumerate() {
        let loc = target
            .location(dict, l)
            .map_err(|m| format!("stack_index: stack_table[{}].location_indices[{j}]: {m}", s.stack_index))?;
        locations.push(loc);
    }
    let labels = labels(target, dict, s)?;
    let one = Sample { locations, values: Vec::new(), labels };
    Ok(observations.into_iter().map(|v| Sample { values: vec![v], ..one.clone() }).collect())
}

/// The sample's observations, each after the shape's conversion.
fn observations(shape: &Shape, period: i64, s: &pb::Sample) -> Lookup<Vec<i64>> {
    let (n, t) = (s.values.len(), s.timestamps_unix_nano.len());
    let values = match (n, t) {
        (0, 0) => return Err("values: a sample needs values or timestamps".into()),
        (0, t) => vec![i64::try_from(t).unwrap_or(i64::MAX)],
        (n, t) if t > 0 && n != t => {
            return Err(format!("values: {n} values but {t} timestamps; each value needs its timestamp"))
        }
        _ => s.values.clone(),
    };
    if shape.conversion == Conversion::SumEvents {
        return Ok(vec![values.iter().fold(0i64, |a, v| a.saturating_add(*v))]);
    }
    if t == 0 && n > 1 {
        return Err(format!("values: {n} values without timestamps, but the profile has one sample type"));
    }
    if shape.conversion == Conversion::SamplesToNanos {
        return Ok(values.into_iter().map(|v| v.saturating_mul(period)).collect());
    }
    Ok(values)
}

/// Sample attributes other than `service.name` with a label value, then the
/// link's span and trace ids in hex.
fn labels(target: &mut Target, dict: &Dict, s: &pb::Sample) -> Lookup<Vec<Label>> {
    let mut labels = Vec::new();
    let mut push = |target: &mut Target, key: &str, value: &str| {
        labels.push(Label { key: target.intern(key), str: target.intern(value), num: 0, num_unit: 0 });
    };
    for (k, &a) in s.attribute_indices.iter().enumerate() {
        let at = |m: String| format!("attribute_indices[{k}]: {m}");
        let attr = dict.attribute(a).map_err(at)?;
        let key = dict.string(attr.key_strindex).map_err(at)?;
        let value = value_string(attr.value.as_ref(), dict).map_err(at)?;
        if key != SERVICE_NAME_KEY && !value.is_empty() {
            push(target, key, &value);
        }
    }
    if s.link_index != 0 {
        let link = dict.link(s.link_index).map_err(|m| format!("link_index: {m}"))?;
        if !link.span_id.is_empty() {
            push(target, SPAN_ID, &hex(&link.span_id));
        }
        if link.trace_id.len() == 16 {
            push(target, TRACE_ID, &hex(&link.trace_id));
        }
    }
    Ok(labels)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
