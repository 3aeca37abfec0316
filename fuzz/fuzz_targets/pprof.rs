//! pprof decoding never panics; what decodes re-encodes and decodes equal.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = kiln_model::pprof::decode_with_limit(data, 1 << 20) {
        let again = kiln_model::pprof::decode(&kiln_model::pprof::encode(&p)).expect("re-encoded pprof decodes");
        assert_eq!(p, again);
    }
});
