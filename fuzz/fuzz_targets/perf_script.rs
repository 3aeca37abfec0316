//! `perf script` decoding never panics, and every stack it yields has the
//! command name as its root and a positive count.
#![no_main]
use kiln_model::perf_script;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = perf_script::decode(data) {
        for s in &p.samples {
            assert!(!s.locations.is_empty());
            assert!(s.values[0] > 0);
        }
    }
});
