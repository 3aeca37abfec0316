//! Push API requests (`push.v1.PusherService/Push`, Connect binary or
//! JSON when the body starts with `{`) through the real router:
//! `PushRequest` decoding and every `raw_profile` in it; every body is
//! answered with a success or a 4xx, never a 5xx or a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ct = if data.first() == Some(&b'{') { "application/json" } else { "application/proto" };
    kiln_fuzz::post("/push.v1.PusherService/Push", &[("content-type", ct)], data);
});
