//! OTLP profile requests (protobuf and protojson) never panic, whether
//! their layout is detected or declared as v1.9.0 or v1.10.0; every
//! profile that decodes is well-formed: it builds a call tree and survives
//! a pprof round trip unchanged.
#![no_main]
use kiln_model::otlp::OtlpVersion;
use libfuzzer_sys::fuzz_target;

fn check(profiles: Vec<kiln_model::otlp::OtlpProfile>) {
    for p in profiles {
        assert!(p.labels.windows(2).all(|w| w[0] <= w[1]), "labels sorted");
        assert_eq!(p.profile.sample_types.len(), 1);
        let _ = kiln_model::Tree::from_profile(&p.profile, 0);
        let again = kiln_model::pprof::decode(&kiln_model::pprof::encode(&p.profile)).expect("pprof round trip");
        assert_eq!(p.profile, again);
    }
}

fuzz_target!(|data: &[u8]| {
    for declared in [None, Some(OtlpVersion::V1_9), Some(OtlpVersion::V1_10)] {
        if let Ok(p) = kiln_model::otlp::decode_request_as(data, 0, 1 << 20, declared) {
            check(p);
        }
    }
    if let Ok(p) = kiln_model::otlp::decode_request_json_with_limit(data, 0, 1 << 20) {
        check(p);
    }
});
