//! Regression tests for issue 15's amplification bodies: a message of
//! repeated empty fields (two bytes each on the wire, tens of bytes each
//! decoded) is refused before it is decoded, while real profiles and a
//! few empty elements still decode.

use kiln_model::gzip::gzip;
use kiln_model::{otlp, pprof, ErrorKind};

const FOUR_MIB: usize = 4 << 20;

fn repeated(pair: [u8; 2], bytes: usize) -> Vec<u8> {
    pair.repeat(bytes / 2)
}

#[test]
fn pprof_of_empty_samples_is_refused_before_decoding() {
    let e = pprof::decode_with_limit(&repeated([0x12, 0x00], FOUR_MIB), FOUR_MIB).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().contains("would decode to more than"), "{e}");
}

#[test]
fn pprof_gzip_bomb_stops_inflating_at_the_limit() {
    let bomb = gzip(&repeated([0x12, 0x00], 16 << 20));
    let e = pprof::decode_with_limit(&bomb, FOUR_MIB).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
    assert!(e.to_string().contains(&format!("limit of {FOUR_MIB} bytes")), "{e}");
}

#[test]
fn pprof_with_a_few_empty_samples_is_still_legal() {
    let p = pprof::decode(&repeated([0x12, 0x00], 2_000)).unwrap();
    assert_eq!(p.samples.len(), 1_000);
}

#[test]
fn otlp_of_empty_resource_profiles_is_refused_before_decoding() {
    let e = otlp::decode_request_with_limit(&repeated([0x0a, 0x00], FOUR_MIB), 0, FOUR_MIB).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
}

#[test]
fn otlp_of_nested_empty_samples_is_refused_before_decoding() {
    // ResourceProfiles { ScopeProfiles { Profile { Sample {} x n } } }.
    let samples = repeated([0x12, 0x00], FOUR_MIB - 64);
    let profile = [&[0x12][..], &varint(samples.len()), &samples].concat();
    let scope = [&[0x12][..], &varint(profile.len()), &profile].concat();
    let resource = [&[0x0a][..], &varint(scope.len()), &scope].concat();
    let e = otlp::decode_request_with_limit(&resource, 0, FOUR_MIB).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e}");
}

#[test]
fn real_profiles_decode_within_the_bound() {
    for gz in [&include_bytes!("fixtures/go/cpu.pb.gz")[..], include_bytes!("fixtures/go/heap.pb.gz")] {
        let raw = kiln_model::gzip::gunzip("t", gz, 1 << 30).unwrap();
        assert!(pprof::decode_with_limit(&raw, raw.len()).is_ok());
    }
}

fn varint(mut v: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}
