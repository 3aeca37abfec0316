//! Legacy `/ingest` multipart forms, as the Go SDK (`profile`,
//! `prev_profile`, `sample_type_config`) and the Java agent (`jfr`,
//! `labels`) post them, through the real router: every body is answered
//! with a success or a 4xx, never a 5xx or a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const FORM: [(&str, &str); 1] = [("content-type", "multipart/form-data; boundary=kilnfuzz")];

fuzz_target!(|data: &[u8]| {
    kiln_fuzz::post("/ingest?name=fuzz.cpu&format=pprof", &FORM, data);
    kiln_fuzz::post("/ingest?name=fuzz&format=jfr", &FORM, data);
});
