//! Format detection and decoding of whatever was detected never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kiln_model::detect::decode_any(data);
});
