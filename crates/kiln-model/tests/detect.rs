//! Every real fixture is recognised as the format it is.

use kiln_model::detect::{decode_any, detect, Format};
use kiln_model::{gzip, ErrorKind};

#[test]
fn real_fixtures_are_detected_by_content() {
    let cases: [(&[u8], Format); 7] = [
        (include_bytes!("fixtures/go/cpu.pb.gz"), Format::Pprof),
        (include_bytes!("fixtures/node/wall.pb.gz"), Format::Pprof),
        (include_bytes!("fixtures/jfr/hot.jfr"), Format::Jfr),
        (include_bytes!("fixtures/py-spy/hot.speedscope.json"), Format::Speedscope),
        (include_bytes!("fixtures/py-spy/hot.raw.txt"), Format::Folded),
        (include_bytes!("fixtures/perf/perf.script.txt"), Format::PerfScript),
        (include_bytes!("golden/go-cpu.flamebearer.json"), Format::Flamebearer),
    ];
    for (bytes, format) in cases {
        assert_eq!(detect(bytes).unwrap(), format);
        assert!(!decode_any(bytes).unwrap().1.is_empty(), "{format:?}");
    }
}

#[test]
fn gzip_is_looked_through() {
    let folded = gzip::gzip(b"a;b 3\n");
    assert_eq!(detect(&folded).unwrap(), Format::Folded);
    assert_eq!(detect(&gzip::gzip(include_bytes!("fixtures/perf/perf.script.txt"))).unwrap(), Format::PerfScript);
}

#[test]
fn lines_without_counts_are_the_lines_format() {
    assert_eq!(detect(b"a;b;c\na;b\n").unwrap(), Format::Lines);
}

#[test]
fn unrecognisable_bytes_say_so() {
    let e = detect(&[0x00, 0xff, 0x13, 0x37, 0x99]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownFormat);
    let e = detect(b"{\"hello\": 1}").unwrap_err();
    assert!(e.message.contains("neither speedscope nor flamebearer"), "{e}");
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::from_name(f.name()), Some(f));
    }
    assert_eq!(Format::from_name("collapsed"), Some(Format::Folded));
}

#[test]
fn decoded_profiles_are_named_as_pyroscope_names_them() {
    let name = |bytes: &[u8]| decode_any(bytes).unwrap().1[0].name.clone();
    assert_eq!(name(include_bytes!("fixtures/go/cpu.pb.gz")), "process_cpu");
    assert_eq!(name(include_bytes!("fixtures/go/heap.pb.gz")), "memory");
    assert_eq!(name(include_bytes!("fixtures/go/mutex.pb.gz")), "mutex");
    assert_eq!(name(include_bytes!("fixtures/perf/perf.script.txt")), "process_cpu");
}
