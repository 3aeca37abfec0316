//! Flamebearer JSON parsing and tree rebuilding never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(fb) = kiln_model::flamebearer::from_json(data) {
        let width = if fb.metadata.format == "single" { 4 } else { 7 };
        let _ = kiln_model::flamegraph::tree_from_levels(&fb.flamebearer.names, &fb.flamebearer.levels, width);
    }
});
