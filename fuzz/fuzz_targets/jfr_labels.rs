//! JFR `labels` decoding never panics; a decoded snapshot applied to a
//! profile leaves no context-id label and no empty label value behind.
#![no_main]
use kiln_model::ingest::jfr_labels;
use kiln_model::jfr::CONTEXT_ID_LABEL;
use kiln_model::{Label, ProfileBuilder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(snapshot) = jfr_labels::decode_with_limit(data, 1 << 20) else { return };
    let mut b = ProfileBuilder::new(&[("cpu", "nanoseconds")], ("cpu", "nanoseconds"), 1);
    let key = b.intern(CONTEXT_ID_LABEL);
    let f = b.frame("f");
    for &ctx in snapshot.contexts.keys().take(8) {
        b.add_sample(vec![f], &[1], vec![Label { key, num: ctx, ..Label::default() }]);
    }
    let mut p = b.build();
    jfr_labels::apply(&mut p, &snapshot);
    assert!(p.samples.iter().flat_map(|s| &s.labels).all(|l| p.str(l.key) != CONTEXT_ID_LABEL && l.str != 0));
});
