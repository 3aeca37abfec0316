//! OpenTelemetry profiles (`v1development`) → Kiln profiles: a request made
//! by the official Python classes in binary and protojson, requests built
//! here with prost, a hand-written protojson request, and bad input.

use std::collections::BTreeMap;

use kiln_model::gzip::gzip;
use kiln_model::otlp::{self, OtlpProfile};
use kiln_model::pb::otlp as pb;
use kiln_model::pb::otlp::any_value::Value as Any;
use kiln_model::{Error, ErrorKind, Position, Profile, Tree};
use prost::Message;

const REQUEST_PB: &[u8] = include_bytes!("fixtures/otlp/request.pb");
const REQUEST_JSON: &[u8] = include_bytes!("fixtures/otlp/request.json");
const NOW: i64 = 1_800_000_000_000_000_000;
const TEN_MS: i64 = 10_000_000;

fn decode(data: &[u8]) -> Vec<OtlpProfile> {
    otlp::decode_request(data, NOW).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn decode_json(data: &[u8]) -> Vec<OtlpProfile> {
    otlp::decode_request_json(data, NOW).unwrap_or_else(|e| panic!("decode failed: {e}"))
}

fn label<'a>(p: &'a OtlpProfile, name: &str) -> Option<&'a str> {
    p.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn service(p: &OtlpProfile) -> &str {
    label(p, "service_name").expect("service_name label")
}

fn folded(p: &Profile) -> BTreeMap<String, i64> {
    Tree::from_profile(p, 0).folded_map()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn err(result: kiln_model::Result<Vec<OtlpProfile>>) -> Error {
    match result {
        Ok(p) => panic!("expected an error, got {} profiles", p.len()),
        Err(e) => e,
    }
}

// ---- the Python-made request -------------------------------------------

#[test]
fn python_binary_and_protojson_decode_to_the_same_profiles() {
    let from_pb = decode(REQUEST_PB);
    assert_eq!(from_pb, decode_json(REQUEST_JSON));
    assert_eq!(from_pb.len(), 2);
}

#[test]
fn python_request_splits_samples_by_their_service_name() {
    let profiles = decode(REQUEST_PB);
    let services: Vec<&str> = profiles.iter().map(service).collect();
    assert_eq!(services, ["shop", "checkout"]);
}

#[test]
fn python_resource_and_scope_attributes_become_sorted_labels() {
    let shop = &decode(REQUEST_PB)[0];
    let want = pairs(&[
        ("__delta__", "false"),
        ("__name__", "process_cpu"),
        ("__otel__", "true"),
        ("host.name", "box-1"),
        ("process.pid", "4242"),
        ("scope.attr", "s1"),
        ("service.name", "shop"),
        ("service_name", "shop"),
    ]);
    assert_eq!(shop.labels, want, "doubles are not label values");
    assert_eq!(shop.name, "process_cpu");
    // The sample-level service keeps the resource's attributes as labels.
    let checkout = &decode(REQUEST_PB)[1];
    assert_eq!(label(checkout, "service.name"), Some("shop"));
    assert_eq!(label(checkout, "host.name"), Some("box-1"));
}

#[test]
fn python_cpu_sample_counts_become_nanoseconds_by_the_period() {
    let profiles = decode(REQUEST_PB);
    let shop = &profiles[0].profile;
    assert_eq!(shop.value_type(shop.sample_types[0]), ("cpu", "nanoseconds"));
    assert_eq!(shop.value_type(shop.period_type), ("cpu", "nanoseconds"));
    assert_eq!(shop.period, TEN_MS);
    assert_eq!(shop.totals(), [10 * TEN_MS]);
    // The checkout sample has no values but two timestamps: a count of 2.
    assert_eq!(profiles[1].profile.totals(), [2 * TEN_MS]);
}

#[test]
fn python_stacks_resolve_leaf_first_with_inlined_frames() {
    let shop = &decode(REQUEST_PB)[0].profile;
    let want = BTreeMap::from([
        ("main;work;hot_loop;inlined_helper".to_string(), 7 * TEN_MS),
        ("main;idle".to_string(), 3 * TEN_MS),
    ]);
    assert_eq!(folded(shop), want);
    let hot = &shop.samples[0];
    let leaf = &shop.locations[hot.locations[0] as usize];
    let lines: Vec<(&str, i64)> = leaf.lines.iter().map(|l| (shop.function_name(l.function), l.line)).collect();
    assert_eq!(lines, [("inlined_helper", 31), ("hot_loop", 40)]);
    assert_eq!(shop.str(shop.functions[leaf.lines[0].function as usize].filename), "work.go");
}

#[test]
fn python_sample_attributes_and_links_become_pprof_labels() {
    let shop = &decode(REQUEST_PB)[0].profile;
    let hot = &shop.samples[0];
    assert_eq!(shop.label_str(hot, "thread.name"), Some("worker-1"));
    assert_eq!(shop.label_str(hot, "span_id"), Some("a0a1a2a3a4a5a6a7"));
    assert_eq!(shop.label_str(hot, "trace_id"), Some("0102030405060708090a0b0c0d0e0f10"));
    assert!(shop.samples[1].labels.is_empty());
}

#[test]
fn python_mapping_keeps_file_range_build_id_and_symbol_flags() {
    let shop = &decode(REQUEST_PB)[0].profile;
    assert_eq!(shop.mappings.len(), 1);
    let m = &shop.mappings[0];
    assert_eq!((m.memory_start, m.memory_limit), (0x400000, 0x800000));
    assert_eq!((shop.str(m.filename), shop.str(m.build_id)), ("/usr/bin/app", "abc123"));
    assert!(m.has_functions && m.has_filenames && m.has_line_numbers && m.has_inline_frames);
    assert!(shop.locations.iter().all(|l| l.mapping == Some(0) && l.address > 0x401000));
}

#[test]
fn python_time_and_duration_are_kept() {
    let shop = &decode(REQUEST_PB)[0].profile;
    assert_eq!((shop.time_nanos, shop.duration_nanos), (1_700_000_000_000_000_000, 15_000_000_000));
}

#[test]
fn gzipped_binary_and_json_decode_like_the_plain_bytes() {
    assert_eq!(decode(&gzip(REQUEST_PB)), decode(REQUEST_PB));
    assert_eq!(decode_json(&gzip(REQUEST_JSON)), decode(REQUEST_PB));
}

#[test]
fn gzip_over_the_limit_is_refused_as_too_large() {
    let e = otlp::decode_request_with_limit(&gzip(REQUEST_PB), NOW, 100).unwrap_err();
    assert_eq!((e.kind, e.format), (ErrorKind::TooLarge, "otlp"));
}

// ---- requests built with prost -----------------------------------------

/// A request with one profile whose samples all use one stack `a;b` (root first).
struct Req {
    strings: Vec<String>,
    req: pb::ExportProfilesServiceRequest,
}

impl Req {
    fn new(resource_attrs: &[(&str, &str)]) -> Req {
        let mut r = Req { strings: vec![String::new()], req: Default::default() };
        let mut d = pb::ProfilesDictionary::default();
        for name in ["", "a", "b"] {
            let name_strindex = r.s(name);
            d.function_table.push(pb::Function { name_strindex, ..Default::default() });
        }
        d.location_table.push(pb::Location::default());
        for f in [1, 2] {
            let lines = vec![pb::Line { function_index: f, line: 0, column: 0 }];
            d.location_table.push(pb::Location { lines, ..Default::default() });
        }
        d.stack_table = vec![pb::Stack::default(), pb::Stack { location_indices: vec![2, 1] }];
        d.attribute_table.push(pb::KeyValueAndUnit::default());
        let attributes = resource_attrs.iter().map(|(k, v)| kv(k, Any::StringValue(v.to_string()))).collect();
        let profile = pb::Profile { sample_type: Some(r.vt("samples", "count")), ..Default::default() };
        r.req = pb::ExportProfilesServiceRequest {
            resource_profiles: vec![pb::ResourceProfiles {
                resource: Some(pb::Resource { attributes, ..Default::default() }),
                scope_profiles: vec![pb::ScopeProfiles { profiles: vec![profile], ..Default::default() }],
                ..Default::default()
            }],
            dictionary: Some(d),
        };
        r
    }

    fn s(&mut self, text: &str) -> i32 {
        match self.strings.iter().position(|x| x == text) {
            Some(i) => i as i32,
            None => {
                self.strings.push(text.to_string());
                self.strings.len() as i32 - 1
            }
        }
    }

    fn vt(&mut self, ty: &str, unit: &str) -> pb::ValueType {
        pb::ValueType { type_strindex: self.s(ty), unit_strindex: self.s(unit) }
    }

    fn dict(&mut self) -> &mut pb::ProfilesDictionary {
        self.req.dictionary.as_mut().unwrap()
    }

    fn profile(&mut self) -> &mut pb::Profile {
        &mut self.req.resource_profiles[0].scope_profiles[0].profiles[0]
    }

    fn sample(&mut self, values: &[i64], attribute_indices: &[i32]) {
        let s = pb::Sample {
            stack_index: 1,
            values: values.to_vec(),
            attribute_indices: attribute_indices.to_vec(),
            ..Default::default()
        };
        self.profile().samples.push(s);
    }

    fn attribute(&mut self, key: &str, value: Any) -> i32 {
        let key_strindex = self.s(key);
        let d = self.dict();
        d.attribute_table.push(pb::KeyValueAndUnit {
            key_strindex,
            value: Some(pb::AnyValue { value: Some(value) }),
            unit_strindex: 0,
        });
        d.attribute_table.len() as i32 - 1
    }

    fn bytes(mut self) -> Vec<u8> {
        let strings = std::mem::take(&mut self.strings);
        self.dict().string_table = strings;
        self.req.encode_to_vec()
    }

    fn decode(self) -> kiln_model::Result<Vec<OtlpProfile>> {
        otlp::decode_request(&self.bytes(), NOW)
    }
}

fn kv(key: &str, value: Any) -> pb::KeyValue {
    pb::KeyValue { key: key.to_string(), value: Some(pb::AnyValue { value: Some(value) }), key_strindex: 0 }
}

fn one(r: Req) -> OtlpProfile {
    let mut profiles = r.decode().unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert_eq!(profiles.len(), 1);
    profiles.remove(0)
}

fn with_sample(resource_attrs: &[(&str, &str)]) -> Req {
    let mut r = Req::new(resource_attrs);
    r.sample(&[1], &[]);
    r
}

#[test]
fn service_name_comes_from_the_resource() {
    assert_eq!(service(&one(with_sample(&[("service.name", "api"), ("process.executable.name", "x")]))), "api");
}

#[test]
fn service_name_falls_back_to_the_executable_name() {
    let p = one(with_sample(&[("process.executable.name", "python3"), ("service.name", "")]));
    assert_eq!(service(&p), "unknown_service:python3");
}

#[test]
fn service_name_falls_back_to_unknown_service() {
    assert_eq!(service(&one(with_sample(&[("host.name", "h")]))), "unknown_service");
}

#[test]
fn integer_and_one_element_array_attributes_become_labels_others_do_not() {
    let mut r = with_sample(&[]);
    let attrs = &mut r.req.resource_profiles[0].resource.as_mut().unwrap().attributes;
    attrs.push(kv("pid", Any::IntValue(-7)));
    let one_elem = pb::ArrayValue { values: vec![pb::AnyValue { value: Some(Any::StringValue("x".into())) }] };
    attrs.push(kv("arr", Any::ArrayValue(one_elem)));
    attrs.push(kv("flag", Any::BoolValue(true)));
    attrs.push(kv("pid", Any::IntValue(8)));
    attrs.push(kv("__name__", Any::StringValue("spoofed".into())));
    let p = one(r);
    assert_eq!((label(&p, "pid"), label(&p, "arr"), label(&p, "flag")), (Some("-7"), Some("x"), None));
    assert_eq!(label(&p, "__name__"), Some("process_cpu"), "reserved labels are Kiln's");
}

#[test]
fn sample_level_service_name_overrides_the_resource_one() {
    let mut r = Req::new(&[("service.name", "res")]);
    let a = r.attribute("service.name", Any::StringValue("a".into()));
    let b = r.attribute("service.name", Any::StringValue("b".into()));
    r.sample(&[1], &[a]);
    r.sample(&[2], &[]);
    r.sample(&[4], &[b]);
    r.sample(&[8], &[a]);
    let profiles = r.decode().unwrap();
    let got: Vec<(&str, Vec<i64>)> = profiles.iter().map(|p| (service(p), p.profile.totals())).collect();
    assert_eq!(got, [("a", vec![9]), ("res", vec![2]), ("b", vec![4])]);
    assert!(profiles.iter().all(|p| p.profile.samples.iter().all(|s| s.labels.is_empty())));
}

#[test]
fn off_cpu_profiles_are_named_off_cpu_and_sum_their_values() {
    let mut r = Req::new(&[]);
    let st = r.vt("off_cpu", "nanoseconds");
    r.profile().sample_type = Some(st);
    r.sample(&[5, 6], &[]);
    let p = one(r);
    assert_eq!(p.name, "off_cpu");
    assert_eq!(p.profile.totals(), [11]);
}

#[test]
fn other_profile_types_are_named_by_their_period_type() {
    let mut r = Req::new(&[]);
    let (st, pt) = (r.vt("alloc_space", "bytes"), r.vt("space", "bytes"));
    let prof = r.profile();
    (prof.sample_type, prof.period_type, prof.period) = (Some(st), Some(pt), 512 * 1024);
    r.sample(&[100], &[]);
    let p = one(r);
    assert_eq!(p.name, "space");
    assert_eq!(p.profile.value_type(p.profile.sample_types[0]), ("alloc_space", "bytes"));
    assert_eq!(p.profile.totals(), [100], "only cpu sample counts are scaled");
}

#[test]
fn profiles_without_a_period_fall_back_to_process_cpu() {
    let p = one(with_sample(&[]));
    assert_eq!(p.name, "process_cpu");
    assert_eq!(p.profile.value_type(p.profile.sample_types[0]), ("samples", "count"));
}

#[test]
fn missing_time_is_now_and_missing_duration_is_ten_seconds() {
    let p = one(with_sample(&[]));
    assert_eq!((p.profile.time_nanos, p.profile.duration_nanos), (NOW, otlp::DEFAULT_DURATION_NANOS));
}

#[test]
fn profiles_without_samples_produce_nothing() {
    assert!(Req::new(&[]).decode().unwrap().is_empty());
}

#[test]
fn locations_without_a_mapping_table_have_no_mapping() {
    let p = one(with_sample(&[])).profile;
    assert!(p.mappings.is_empty() && p.locations.iter().all(|l| l.mapping.is_none()));
    assert_eq!(folded(&p), BTreeMap::from([("a;b".to_string(), 1)]));
}

// ---- errors --------------------------------------------------------------

fn assert_otlp_error(e: &Error, needles: &[&str]) {
    assert_eq!((e.kind, e.format), (ErrorKind::Malformed, "otlp"), "{e}");
    for n in needles {
        assert!(e.message.contains(n), "{e} lacks {n:?}");
    }
}

#[test]
fn a_request_without_a_dictionary_is_refused() {
    let mut r = with_sample(&[]);
    r.req.dictionary = None;
    let e = err(otlp::decode_request(&r.req.encode_to_vec(), NOW));
    assert_otlp_error(&e, &["dictionary"]);
}

#[test]
fn an_empty_request_is_refused() {
    assert_otlp_error(&err(otlp::decode_request(&[], NOW)), &["dictionary"]);
    assert_otlp_error(&err(otlp::decode_request_json(b"{\"dictionary\":{}}", NOW)), &["resource_profiles"]);
}

#[test]
fn an_out_of_range_stack_index_names_the_sample() {
    let mut r = with_sample(&[]);
    r.profile().samples[0].stack_index = 9;
    let e = err(r.decode());
    let at = "resource_profiles[0].scope_profiles[0].profiles[0].samples[0].stack_index";
    assert_otlp_error(&e, &[at, "index 9", "stack_table has 2"]);
}

#[test]
fn an_out_of_range_location_function_or_string_index_is_refused() {
    let mut r = with_sample(&[]);
    r.dict().stack_table[1].location_indices.push(-1);
    assert_otlp_error(&err(r.decode()), &["samples[0]", "location_indices[2]", "index -1", "location_table"]);
    let mut r = with_sample(&[]);
    r.dict().location_table[1].lines[0].function_index = 40;
    assert_otlp_error(&err(r.decode()), &["index 40", "function_table"]);
    let mut r = with_sample(&[]);
    r.dict().function_table[2].name_strindex = 77;
    assert_otlp_error(&err(r.decode()), &["index 77", "string_table"]);
    let mut r = with_sample(&[]);
    r.profile().sample_type.as_mut().unwrap().unit_strindex = 99;
    assert_otlp_error(&err(r.decode()), &["profiles[0]: sample_type.unit_strindex", "index 99"]);
}

#[test]
fn an_out_of_range_attribute_or_link_index_is_refused() {
    let mut r = Req::new(&[]);
    r.sample(&[1], &[5]);
    assert_otlp_error(&err(r.decode()), &["samples[0].attribute_indices", "index 5", "attribute_table"]);
    let mut r = with_sample(&[]);
    r.profile().samples[0].link_index = 3;
    assert_otlp_error(&err(r.decode()), &["samples[0].link_index", "link_table has 0"]);
}

#[test]
fn samples_without_values_or_with_several_are_refused() {
    let mut r = Req::new(&[]);
    r.sample(&[], &[]);
    assert_otlp_error(&err(r.decode()), &["samples[0].values"]);
    let mut r = Req::new(&[]);
    r.sample(&[1, 2], &[]);
    assert_otlp_error(&err(r.decode()), &["samples[0].values", "2 values"]);
}

#[test]
fn a_profile_without_a_sample_type_is_refused() {
    let mut r = with_sample(&[]);
    r.profile().sample_type = None;
    assert_otlp_error(&err(r.decode()), &["profiles[0]: sample_type is missing"]);
}

#[test]
fn truncated_requests_fail_with_an_otlp_error_and_never_panic() {
    let mut refused = 0;
    for n in 0..REQUEST_PB.len() {
        if let Err(e) = otlp::decode_request(&REQUEST_PB[..n], NOW) {
            assert_eq!(e.format, "otlp");
            refused += 1;
        }
    }
    assert!(refused > REQUEST_PB.len() * 9 / 10, "only {refused} prefixes refused");
    let e = err(otlp::decode_request(&REQUEST_PB[..REQUEST_PB.len() / 2], NOW));
    assert!(e.message.starts_with("protobuf:"), "{e}");
}

#[test]
fn shared_stacks_cannot_expand_past_the_frame_budget() {
    let mut r = Req::new(&[]);
    r.dict().stack_table[1].location_indices = vec![1; 2000];
    for _ in 0..20_000 {
        r.sample(&[1], &[]);
    }
    let e = err(r.decode());
    assert_eq!((e.kind, e.format), (ErrorKind::TooLarge, "otlp"), "{e}");
}

// ---- protojson -----------------------------------------------------------

/// Proto field names, numbers for 64-bit integers, hex trace/span ids.
const HANDWRITTEN_JSON: &str = r#"{
  "resource_profiles": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "web"}}]},
    "scope_profiles": [{"profiles": [{
      "sample_type": {"type_strindex": 1, "unit_strindex": 2},
      "period_type": {"type_strindex": 3, "unit_strindex": 4},
      "period": 1000000,
      "time_unix_nano": 1700000000000000000,
      "samples": [
        {"stack_index": 1, "values": [3], "link_index": 1, "attribute_indices": [1]},
        {"stack_index": 1, "values": ["2"], "timestamps_unix_nano": null}
      ]
    }]}]
  }],
  "dictionary": {
    "string_table": ["", "samples", "count", "cpu", "nanoseconds", "main", "serve", "http.route"],
    "function_table": [{}, {"name_strindex": 5}, {"nameStrindex": 6}],
    "location_table": [{}, {"lines": [{"function_index": 1}]}, {"lines": [{"functionIndex": 2, "line": "9"}]}],
    "stack_table": [{}, {"location_indices": [2, 1]}],
    "link_table": [{}, {"trace_id": "0102030405060708090A0B0C0D0E0F10", "spanId": "a0a1a2a3a4a5a6a7"}],
    "attribute_table": [{}, {"key_strindex": 7, "value": {"stringValue": "/api"}}]
  }
}"#;

#[test]
fn handwritten_protojson_with_proto_names_numbers_and_hex_ids_decodes() {
    let profiles = decode_json(HANDWRITTEN_JSON.as_bytes());
    assert_eq!(profiles.len(), 1);
    let p = &profiles[0];
    assert_eq!((service(p), p.name.as_str()), ("web", "process_cpu"));
    assert_eq!(folded(&p.profile), BTreeMap::from([("main;serve".to_string(), 5_000_000)]));
    let first = &p.profile.samples[0];
    assert_eq!(p.profile.label_str(first, "http.route"), Some("/api"));
    assert_eq!(p.profile.label_str(first, "trace_id"), Some("0102030405060708090a0b0c0d0e0f10"));
    assert_eq!(p.profile.label_str(first, "span_id"), Some("a0a1a2a3a4a5a6a7"));
    assert_eq!(p.profile.time_nanos, 1_700_000_000_000_000_000);
}

#[test]
fn json_syntax_errors_report_the_line() {
    let e = err(otlp::decode_request_json(b"{\n\"dictionary\": {,}}", NOW));
    assert_eq!((e.format, e.position), ("otlp", Position::Line(2)));
}

#[test]
fn json_type_errors_report_the_field_path() {
    let bad = HANDWRITTEN_JSON.replace("\"values\": [3]", "\"values\": [\"three\"]");
    let e = err(otlp::decode_request_json(bad.as_bytes(), NOW));
    assert_otlp_error(&e, &["$.resource_profiles[0].scope_profiles[0].profiles[0].samples[0].values[0]", "integer"]);
    let bad = HANDWRITTEN_JSON.replace("\"period\": 1000000", "\"period\": 1e30");
    assert_otlp_error(&err(otlp::decode_request_json(bad.as_bytes(), NOW)), &["period"]);
    let bad = HANDWRITTEN_JSON.replace("\"stack_table\": [{}", "\"stack_table\": [7");
    assert_otlp_error(&err(otlp::decode_request_json(bad.as_bytes(), NOW)), &["$.dictionary.stack_table[0]", "object"]);
}

#[test]
fn deeply_nested_json_values_are_refused_without_overflow() {
    let deep = format!("{}{}", "{\"arrayValue\":{\"values\":[".repeat(5000), "]}}".repeat(5000));
    let json =
        format!("{{\"resourceProfiles\":[{{\"resource\":{{\"attributes\":[{{\"key\":\"k\",\"value\":{deep}}}]}}}}]}}");
    assert_eq!(err(otlp::decode_request_json(json.as_bytes(), NOW)).format, "otlp");
}
