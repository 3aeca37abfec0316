//! JFR decoding never panics, and whatever decodes yields profiles whose
//! every sample has one value per sample type and in-range locations.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = kiln_model::jfr::DecodeOptions { limit: 1 << 20, sample_rate: None };
    if let Ok(profiles) = kiln_model::jfr::decode_with_options(data, &options) {
        for p in &profiles {
            let profile = &p.profile;
            for s in &profile.samples {
                assert_eq!(s.values.len(), profile.sample_types.len());
                assert!(s.locations.iter().all(|&l| (l as usize) < profile.locations.len()));
            }
        }
    }
});
