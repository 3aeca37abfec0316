//! Converts a decoded request: each OTLP profile becomes one Kiln profile
//! per service its samples name, as Pyroscope's `ConvertOtelToGoogle` does.

use std::fmt;

use rustc_hash::FxHashMap;

use super::attributes::{resource_labels, service_name, SERVICE_NAME_KEY};
use super::dictionary::{Dict, Lookup};
use super::sample::{earliest_timestamp, observation_count, samples, spend};
use super::target::Target;
use super::{OtlpProfile, DEFAULT_DURATION_NANOS, FORMAT};
use crate::error::{Error, Position, Result};
use crate::pb::otlp as pb;
use crate::profile::{Profile, ValueType};

fn bad(message: String) -> Error {
    Error::malformed(FORMAT, Position::None, message)
}

/// Where a profile sits in the request, for error messages.
#[derive(Clone, Copy)]
struct ProfilePath {
    resource: usize,
    scope: usize,
    profile: usize,
}

impl fmt::Display for ProfilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ProfilePath { resource, scope, profile } = self;
        write!(f, "resource_profiles[{resource}].scope_profiles[{scope}].profiles[{profile}]")
    }
}

/// Converts every profile of a request; `budget` bounds the stack frames
/// all samples may expand to.
pub(super) fn request(
    req: &pb::ExportProfilesServiceRequest,
    now_nanos: i64,
    budget: usize,
) -> Result<Vec<OtlpProfile>> {
    let Some(dict) = req.dictionary.as_ref() else { return Err(bad("request has no dictionary".into())) };
    if req.resource_profiles.is_empty() {
        return Err(bad("request has no resource_profiles".into()));
    }
    let dict = Dict(dict);
    let mut budget = budget;
    let mut out = Vec::new();
    for (r, rp) in req.resource_profiles.iter().enumerate() {
        let attrs = rp.resource.as_ref().map(|res| res.attributes.as_slice()).unwrap_or_default();
        let service = service_name(attrs, &dict).map_err(|m| bad(format!("resource_profiles[{r}].resource: {m}")))?;
        for (s, sp) in rp.scope_profiles.iter().enumerate() {
            let labels = resource_labels(rp.resource.as_ref(), sp.scope.as_ref(), &dict)
                .map_err(|m| bad(format!("resource_profiles[{r}].scope_profiles[{s}]: {m}")))?;
            for (p, src) in sp.profiles.iter().enumerate() {
                let path = ProfilePath { resource: r, scope: s, profile: p };
                let ctx = Ctx { dict: &dict, path, now_nanos, resource_service: &service };
                for (svc, name, profile) in ctx.profile(src, &mut budget)? {
                    out.push(OtlpProfile { labels: series_labels(&labels, &name, &svc), name, profile });
                }
            }
        }
    }
    Ok(out)
}

fn series_labels(attributes: &[(String, String)], name: &str, service: &str) -> Vec<(String, String)> {
    let mut labels = attributes.to_vec();
    for (k, v) in [("__delta__", "false"), ("__name__", name), ("__otel__", "true"), ("service_name", service)] {
        labels.push((k.to_owned(), v.to_owned()));
    }
    labels.sort();
    labels
}

/// How sample values are rewritten.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Conversion {
    None,
    /// `samples:count:cpu:nanoseconds`: counts times the period.
    SamplesToNanos,
    /// `off_cpu:nanoseconds::`: all values of a sample summed.
    SumEvents,
}

/// The sample type, period type and name of one OTLP profile.
pub(super) struct Shape {
    sample_type: (String, String),
    period_type: (String, String),
    pub(super) conversion: Conversion,
    name: String,
}

fn shape(src: &pb::Profile, dict: &Dict) -> Lookup<Shape> {
    let st = src.sample_type.as_ref().ok_or("sample_type is missing")?;
    let ty = dict.string(st.type_strindex).map_err(|m| format!("sample_type.type_strindex: {m}"))?;
    let unit = dict.string(st.unit_strindex).map_err(|m| format!("sample_type.unit_strindex: {m}"))?;
    let (mut pty, mut punit) = ("", "");
    if let Some(pt) = &src.period_type {
        pty = dict.string(pt.type_strindex).map_err(|m| format!("period_type.type_strindex: {m}"))?;
        punit = dict.string(pt.unit_strindex).map_err(|m| format!("period_type.unit_strindex: {m}"))?;
    }
    let period_type = (pty.to_owned(), punit.to_owned());
    let (pty, punit) = if src.period != 0 { (pty, punit) } else { ("", "") };
    let id = format!("{ty}:{unit}:{pty}:{punit}");
    let (sample_type, conversion, name) = match id.as_str() {
        "samples:count:cpu:nanoseconds" => (("cpu", "nanoseconds"), Conversion::SamplesToNanos, "process_cpu"),
        "off_cpu:nanoseconds::" => ((ty, unit), Conversion::SumEvents, "off_cpu"),
        _ if !pty.is_empty() => ((ty, unit), Conversion::None, pty),
        _ => ((ty, unit), Conversion::None, "process_cpu"),
    };
    let sample_type = (sample_type.0.to_owned(), sample_type.1.to_owned());
    Ok(Shape { sample_type, period_type, conversion, name: name.to_owned() })
}

/// What converting one profile needs to know about its surroundings.
struct Ctx<'a> {
    dict: &'a Dict<'a>,
    path: ProfilePath,
    now_nanos: i64,
    resource_service: &'a str,
}

impl Ctx<'_> {
    /// `(service, name, profile)` for each service the samples name, in
    /// order of first appearance; no samples, no profiles.
    fn profile(&self, src: &pb::Profile, budget: &mut usize) -> Result<Vec<(String, String, Profile)>> {
        let path = self.path;
        let shape = shape(src, self.dict).map_err(|m| bad(format!("{path}: {m}")))?;
        let mut targets: Vec<(String, Target)> = Vec::new();
        let mut by_service: FxHashMap<String, usize> = FxHashMap::default();
        for (i, s) in src.samples.iter().enumerate() {
            let at = |m: String| bad(format!("{path}.samples[{i}].{m}"));
            let stack = self.dict.stack(s.stack_index).map_err(|m| at(format!("stack_index: {m}")))?;
            let per_sample = stack.location_indices.len() + s.attribute_indices.len();
            let frames = per_sample.saturating_mul(observation_count(s));
            spend(budget, frames).map_err(|m| Error::too_large(FORMAT, at(m).message))?;
            let service = self.sample_service(s).map_err(|m| at(format!("attribute_indices: {m}")))?;
            let t = *by_service.entry(service.clone()).or_insert_with(|| {
                targets.push((service, self.target(&shape, src)));
                targets.len() - 1
            });
            let target = &mut targets[t].1;
            for sample in samples(target, self.dict, &shape, src.period, s, stack).map_err(at)? {
                target.push_sample(sample);
            }
        }
        Ok(targets.into_iter().map(|(svc, t)| (svc, shape.name.clone(), t.finish())).collect())
    }

    /// The sample's `service.name` attribute, else the resource's service.
    fn sample_service(&self, s: &pb::Sample) -> Lookup<String> {
        let service = self.dict.attribute_value(&s.attribute_indices, SERVICE_NAME_KEY)?;
        Ok(if service.is_empty() { self.resource_service.to_owned() } else { service })
    }

    /// An empty profile with the shape's types, time and duration.
    fn target(&self, shape: &Shape, src: &pb::Profile) -> Target {
        let mut t = Target::new(Profile::default());
        let sample_type = ValueType { ty: t.intern(&shape.sample_type.0), unit: t.intern(&shape.sample_type.1) };
        let period_type = ValueType { ty: t.intern(&shape.period_type.0), unit: t.intern(&shape.period_type.1) };
        let p = t.profile_mut();
        p.sample_types = vec![sample_type];
        p.default_sample_type = sample_type.ty;
        p.period_type = period_type;
        p.period = src.period;
        p.time_nanos = match i64::try_from(src.time_unix_nano).unwrap_or(i64::MAX) {
            0 => earliest_timestamp(src).unwrap_or(self.now_nanos),
            t => t,
        };
        p.duration_nanos = match i64::try_from(src.duration_nano).unwrap_or(i64::MAX) {
            0 => DEFAULT_DURATION_NANOS,
            d => d,
        };
        t
    }
}
