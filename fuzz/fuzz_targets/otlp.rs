//! OTLP profile requests (protobuf and protojson) never panic; every
//! profile that decodes is well-formed: it builds a call tree and survives
//! a pprof round trip unchanged.
#![no_main]
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
    if let Ok(p) = kiln_model::otlp::decode_request_with_limit(data, 0, 1 << 20) {
        check(p);
    }
    if let Ok(p) = kiln_model::otlp::decode_request_json_with_limit(data, 0, 1 << 20) {
        check(p);
    }
});
