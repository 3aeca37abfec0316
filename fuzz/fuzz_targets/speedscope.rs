//! speedscope decoding never panics; what decodes re-encodes and decodes to
//! the same stacks.
#![no_main]
use kiln_model::{speedscope, Profile, Tree};
use libfuzzer_sys::fuzz_target;

/// Whether the values of a sample type add up without overflowing, as the
/// call tree needs.
fn total_fits(p: &Profile, sample_type: usize) -> bool {
    p.samples.iter().try_fold(0i64, |sum, s| sum.checked_add(s.values[sample_type])).is_some()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = speedscope::decode(data) {
        for sample_type in 0..p.sample_types.len() {
            let json = speedscope::encode(&p, sample_type, "fuzz");
            let again = speedscope::decode(json.as_bytes()).expect("encoded speedscope decodes");
            if total_fits(&p, sample_type) {
                let before = Tree::from_profile(&p, sample_type).folded_map();
                assert_eq!(Tree::from_profile(&again, 0).folded_map(), before);
            }
        }
    }
});
