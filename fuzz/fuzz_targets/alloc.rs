//! Decoders' memory stays proportional to their input: for each decoder
//! the peak of bytes live while it runs stays below
//! `PER_INPUT_BYTE × input size + FIXED`, measured by a counting global
//! allocator. Decoders that take a decompression limit get `LIMIT`.
#![no_main]
use kiln_fuzz::alloc::{peak, reset_peak, Counting};
use kiln_model::{folded, otlp, pprof, speedscope, tree_format};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static A: Counting = Counting;

const LIMIT: usize = 1 << 20;
const PER_INPUT_BYTE: usize = 64;
const FIXED: usize = 64 << 20;

fn bounded(what: &str, data: &[u8], decode: impl FnOnce(&[u8])) {
    let before = reset_peak();
    decode(data);
    let used = peak().saturating_sub(before);
    let bound = PER_INPUT_BYTE * data.len() + FIXED;
    assert!(used <= bound, "{what}: peak {used} bytes for {} input bytes (bound {bound})", data.len());
}

fuzz_target!(|data: &[u8]| {
    bounded("pprof", data, |d| drop(pprof::decode_with_limit(d, LIMIT)));
    bounded("otlp", data, |d| drop(otlp::decode_request_with_limit(d, 0, LIMIT)));
    bounded("otlp json", data, |d| drop(otlp::decode_request_json_with_limit(d, 0, LIMIT)));
    let options = kiln_model::jfr::DecodeOptions { limit: LIMIT, sample_rate: None };
    bounded("jfr", data, |d| drop(kiln_model::jfr::decode_with_options(d, &options)));
    bounded("speedscope", data, |d| drop(speedscope::decode(d)));
    bounded("folded", data, |d| drop(folded::decode(d)));
    bounded("tree", data, |d| drop(tree_format::decode_tree(d)));
});
