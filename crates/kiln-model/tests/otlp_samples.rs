//! OTLP samples as v1.10.0 and v1.9.0 exporters write them: several values
//! with one timestamp each, and v1.9.0's other field numbers, detected or
//! declared, never misread. v1.9.0 requests are built with a prost mirror
//! of that release's `Sample` (values 2, attribute_indices 3, link_index 4).

use kiln_model::otlp::{self, OtlpProfile, OtlpVersion};
use kiln_model::pb::otlp as pb;
use kiln_model::pb::otlp::any_value::Value as Any;
use kiln_model::{Error, ErrorKind};
use prost::Message;

const NOW: i64 = 1_800_000_000_000_000_000;
const T0: u64 = 1_700_000_000_000_000_000;
const LIMIT: usize = 1 << 20;
/// OpenTelemetry's Python profiler (0.63b4, opentelemetry-proto 1.40.0:
/// the v1.9.0 layout): three samples with 6, 12 and 1 values of 1.
const PROFILER_V1_9: &[u8] = include_bytes!("fixtures/otlp/profiler-v1.9.pb");

mod v1_9 {
    use kiln_model::pb::otlp as pb;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Request {
        #[prost(message, repeated, tag = "1")]
        pub resource_profiles: Vec<ResourceProfiles>,
        #[prost(message, optional, tag = "2")]
        pub dictionary: Option<pb::ProfilesDictionary>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ResourceProfiles {
        #[prost(message, repeated, tag = "2")]
        pub scope_profiles: Vec<ScopeProfiles>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ScopeProfiles {
        #[prost(message, repeated, tag = "2")]
        pub profiles: Vec<Profile>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Profile {
        #[prost(message, optional, tag = "1")]
        pub sample_type: Option<pb::ValueType>,
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
        #[prost(fixed64, tag = "3")]
        pub time_unix_nano: u64,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        #[prost(int32, tag = "1")]
        pub stack_index: i32,
        #[prost(int64, repeated, tag = "2")]
        pub values: Vec<i64>,
        #[prost(int32, repeated, tag = "3")]
        pub attribute_indices: Vec<i32>,
        #[prost(int32, tag = "4")]
        pub link_index: i32,
        #[prost(fixed64, repeated, tag = "5")]
        pub timestamps_unix_nano: Vec<u64>,
    }
}

/// Strings `"", samples, count, f, thread.name, main`; stack 1 is `f`;
/// attribute 1 is `thread.name=main`; link 1 has a span id.
fn dictionary() -> pb::ProfilesDictionary {
    let strings = ["", "samples", "count", "f", "thread.name", "main"];
    let value = Some(pb::AnyValue { value: Some(Any::StringValue("main".into())) });
    pb::ProfilesDictionary {
        string_table: strings.iter().map(|s| s.to_string()).collect(),
        function_table: vec![pb::Function::default(), pb::Function { name_strindex: 3, ..Default::default() }],
        location_table: vec![
            pb::Location::default(),
            pb::Location { lines: vec![pb::Line { function_index: 1, ..Default::default() }], ..Default::default() },
        ],
        stack_table: vec![pb::Stack::default(), pb::Stack { location_indices: vec![1] }],
        attribute_table: vec![
            pb::KeyValueAndUnit::default(),
            pb::KeyValueAndUnit { key_strindex: 4, value, unit_strindex: 0 },
        ],
        link_table: vec![pb::Link::default(), pb::Link { trace_id: vec![], span_id: vec![0xab; 8] }],
        ..Default::default()
    }
}

fn sample_type() -> Option<pb::ValueType> {
    Some(pb::ValueType { type_strindex: 1, unit_strindex: 2 })
}

/// A v1.10.0 request with `samples`, each on stack 1.
fn current(samples: Vec<pb::Sample>) -> Vec<u8> {
    let profile = pb::Profile { sample_type: sample_type(), samples, ..Default::default() };
    let scope = pb::ScopeProfiles { profiles: vec![profile], ..Default::default() };
    let rp = pb::ResourceProfiles { scope_profiles: vec![scope], ..Default::default() };
    pb::ExportProfilesServiceRequest { resource_profiles: vec![rp], dictionary: Some(dictionary()) }.encode_to_vec()
}

/// A v1.9.0 request with `samples`.
fn old(samples: Vec<v1_9::Sample>) -> Vec<u8> {
    let profile = v1_9::Profile { sample_type: sample_type(), samples, time_unix_nano: 0 };
    let scope = v1_9::ScopeProfiles { profiles: vec![profile] };
    let rp = v1_9::ResourceProfiles { scope_profiles: vec![scope] };
    v1_9::Request { resource_profiles: vec![rp], dictionary: Some(dictionary()) }.encode_to_vec()
}

fn decode(data: &[u8], declared: Option<OtlpVersion>) -> kiln_model::Result<Vec<OtlpProfile>> {
    otlp::decode_request_as(data, NOW, LIMIT, declared)
}

fn one(data: &[u8]) -> OtlpProfile {
    let mut profiles = decode(data, None).unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert_eq!(profiles.len(), 1);
    profiles.remove(0)
}

fn refused(data: &[u8], declared: Option<OtlpVersion>) -> Error {
    let e = decode(data, declared).expect_err("the request should be refused");
    assert_eq!((e.kind, e.format), (ErrorKind::Malformed, "otlp"), "{e}");
    e
}

/// Each sample's values and label keys, as strings.
fn samples(p: &OtlpProfile) -> Vec<(Vec<i64>, Vec<&str>)> {
    let s = |i: u32| p.profile.strings[i as usize].as_str();
    p.profile.samples.iter().map(|x| (x.values.clone(), x.labels.iter().map(|l| s(l.key)).collect())).collect()
}

fn timestamps(n: u64) -> Vec<u64> {
    (0..n).map(|i| T0 + i * 10_000_000).collect()
}

#[test]
fn several_values_with_one_timestamp_each_become_one_sample_each() {
    let s = pb::Sample {
        stack_index: 1,
        attribute_indices: vec![1],
        values: vec![1; 117],
        timestamps_unix_nano: timestamps(117),
        ..Default::default()
    };
    let p = one(&current(vec![s]));
    assert_eq!(p.profile.totals(), [117]);
    assert_eq!(samples(&p), vec![(vec![1], vec!["thread.name"]); 117]);
}

#[test]
fn values_and_timestamps_of_different_counts_are_refused() {
    let s =
        pb::Sample { stack_index: 1, values: vec![1, 2, 3], timestamps_unix_nano: timestamps(2), ..Default::default() };
    let e = refused(&current(vec![s]), None);
    assert!(e.message.contains("samples[0].values: 3 values but 2 timestamps"), "{e}");
}

#[test]
fn a_profile_without_a_time_starts_at_its_earliest_sample_timestamp() {
    let s = pb::Sample {
        stack_index: 1,
        values: vec![4, 5],
        timestamps_unix_nano: vec![T0 + 9, T0 + 3],
        ..Default::default()
    };
    assert_eq!(one(&current(vec![s])).profile.time_nanos, (T0 + 3) as i64);
}

#[test]
fn a_v1_9_sample_with_attributes_and_a_link_is_read_with_v1_9_numbers() {
    let s = v1_9::Sample {
        stack_index: 1,
        values: vec![7],
        attribute_indices: vec![1],
        link_index: 1,
        ..Default::default()
    };
    let p = one(&old(vec![s]));
    assert_eq!(samples(&p), [(vec![7], vec!["thread.name", "span_id"])]);
}

#[test]
fn regression_a_v1_9_sample_without_attributes_is_not_misread_as_attribute_indices() {
    // Read with v1.10.0's numbers, `values: [1]` was attribute index 1.
    let s = v1_9::Sample { stack_index: 1, values: vec![1], ..Default::default() };
    assert_eq!(samples(&one(&old(vec![s]))), [(vec![1], vec![])]);
    let linked = v1_9::Sample { stack_index: 1, values: vec![3], link_index: 1, ..Default::default() };
    assert_eq!(samples(&one(&old(vec![linked]))), [(vec![3], vec!["span_id"])]);
}

#[test]
fn a_v1_9_sample_that_reads_either_way_is_refused_unless_the_version_is_declared() {
    let s =
        v1_9::Sample { stack_index: 1, values: vec![1, 1], timestamps_unix_nano: timestamps(2), ..Default::default() };
    let body = old(vec![s]);
    let e = refused(&body, None);
    let want = "samples[0] reads as values under OTLP v1.9.0 and as attribute_indices under v1.10.0";
    assert!(e.message.contains(want) && e.message.contains(otlp::VERSION_HEADER), "{e}");
    let p = decode(&body, Some(OtlpVersion::V1_9)).unwrap();
    assert_eq!(samples(&p[0]), vec![(vec![1], vec![]); 2]);
    let p = decode(&body, Some(OtlpVersion::V1_10)).unwrap();
    let misread = [(vec![2], vec!["thread.name", "thread.name"])];
    assert_eq!(samples(&p[0]), misread, "declared v1.10.0: attribute indices [1, 1], two timestamps");
}

#[test]
fn a_request_mixing_both_layouts_is_refused_naming_one_sample_of_each() {
    let v9 = v1_9::Sample { stack_index: 1, values: vec![1], attribute_indices: vec![1], ..Default::default() };
    let v10 = v1_9::Sample { stack_index: 1, values: vec![1], link_index: 0, ..Default::default() };
    let mut body = old(vec![v9, v10]);
    // The second sample's `values` (field 2) becomes a v1.10.0 `values` (field 4).
    let at = body.windows(3).rposition(|w| w == [0x12, 0x01, 0x01]).unwrap();
    body[at] = 0x22;
    let e = refused(&body, None);
    assert!(e.message.contains("samples[0] is laid out as OTLP v1.9.0 but"), "{e}");
    assert!(e.message.contains("samples[1] as v1.10.0"), "{e}");
}

#[test]
fn opentelemetry_python_profiler_requests_are_read_as_v1_9() {
    let p = one(PROFILER_V1_9);
    assert_eq!(p.name, "wall");
    assert_eq!(p.profile.totals(), [19]);
    assert_eq!(p.profile.samples.len(), 19, "one sample per value");
    let keys: Vec<_> = samples(&p).into_iter().map(|(_, keys)| keys).collect();
    assert!(keys.iter().all(|k| k == &["thread.id", "thread.name"]), "{keys:?}");
    let declared = decode(PROFILER_V1_9, Some(OtlpVersion::V1_9)).unwrap();
    assert_eq!(declared, [p]);
}

#[test]
fn otlp_versions_parse_as_clients_write_them() {
    for s in ["1.9.0", "v1.9.0", "1.9"] {
        assert_eq!(s.parse::<OtlpVersion>(), Ok(OtlpVersion::V1_9), "{s}");
    }
    for s in ["1.10.0", "v1.10.0", "1.11.0", " 1.10 "] {
        assert_eq!(s.parse::<OtlpVersion>(), Ok(OtlpVersion::V1_10), "{s}");
    }
    let e = "1.8.0".parse::<OtlpVersion>().unwrap_err();
    assert_eq!(e, r#"unknown OTLP version "1.8.0": expected 1.9.0 or 1.10.0"#);
}
