//! Format version 1 must stay readable: `fixtures/block-v1.kiln` was written
//! by the code that introduced the format and is decoded here field by
//! field. It is a backward-compatibility fixture, not a golden output:
//! `KILN_BLESS` never touches it. Only a deliberate new fixture (a new
//! format version gets its own file) is written, with
//! `KILN_WRITE_FORMAT_FIXTURE=1 cargo test -p kiln-store --test format_v1`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{profile, profile_with_span, SEC, T0};
use kiln_model::stacks::StackSamples;
use kiln_store::{
    decode_block, encode_block, BlockHeader, ErrorKind, Partition, Rollup, Row, SampleLabel, SeriesInfo, Store,
    StoreConfig, FORMAT_VERSION,
};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use prost::Message;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/block-v1.kiln");
const HOUR: i64 = 3600 * SEC;
const SPAN: &str = "00f067aa0ba902b7";

fn series(service: &str) -> SeriesInfo {
    let labels = kiln_store::normalize_labels(vec![
        ("service_name".into(), service.into()),
        ("__profile_type__".into(), "process_cpu:cpu:nanoseconds:cpu:nanoseconds".into()),
    ]);
    SeriesInfo { labels, min_time_nanos: 0, max_time_nanos: 0, profiles: 0, total: 0 }
}

/// Adds one single-sample-type profile as a row of series 0.
fn add_row(p: &mut Partition, id: u128, time: i64, profile: &kiln_model::Profile) {
    let db = std::sync::Arc::make_mut(&mut p.db);
    let (samples, origin) = db.add_profile_types(profile, &[0]).remove(0);
    let mut labels = Vec::new();
    for (i, &o) in origin.iter().enumerate() {
        if let Some(span) = profile.label_str(&profile.samples[o as usize], "span_id") {
            let (key, value) = (db.symbols.intern("span_id"), db.symbols.intern(span));
            labels.push(SampleLabel { sample: i as u32, key, value });
        }
    }
    p.rows.push(Row {
        series: 0,
        time_nanos: time,
        duration_nanos: 10 * SEC,
        id,
        total: samples.total(),
        samples,
        labels,
    });
}

/// An hourly rollup of every row of series 0, summed by stack id.
fn rollup(p: &Partition) -> Rollup {
    let mut by_stack: BTreeMap<u32, i64> = BTreeMap::new();
    for r in &p.rows {
        for (&s, &v) in r.samples.stack_ids.iter().zip(&r.samples.values) {
            *by_stack.entry(s).or_default() += v;
        }
    }
    let samples =
        StackSamples { stack_ids: by_stack.keys().copied().collect(), values: by_stack.into_values().collect() };
    Rollup { series: 0, start_nanos: T0, profiles: p.rows.len() as u64, samples }
}

/// The fixture's contents: a closed window of tenant `acme` with two
/// services, rollups, and a span label on one sample.
fn fixture_block() -> Vec<u8> {
    let mut api = Partition { service: "api".into(), series: vec![series("api")], ..Partition::default() };
    add_row(&mut api, 1, T0, &profile_with_span("main;handler;query", 30, SPAN));
    add_row(&mut api, 2, T0 + 10 * SEC, &profile(&[("main;handler;query", 10), ("main;gc", 5)]));
    let mut db = Partition { service: "db".into(), series: vec![series("db")], ..Partition::default() };
    add_row(&mut db, 3, T0 + 20 * SEC, &profile(&[("main;scan", 7)]));
    let mut parts = [api, db];
    for p in &mut parts {
        p.finish();
        p.rollups = vec![rollup(p)];
    }
    let header = BlockHeader {
        id: "fixture-v1".into(),
        tenant: "acme".into(),
        level: 2,
        sources: vec!["segment-a".into(), "segment-b".into()],
        rollup_nanos: HOUR,
    };
    encode_block(&header, &parts).0
}

fn fixture() -> Vec<u8> {
    if std::env::var_os("KILN_WRITE_FORMAT_FIXTURE").is_some_and(|v| v == "1") {
        // Atomically: the other tests read the fixture meanwhile.
        let dir = std::path::Path::new(FIXTURE).parent().unwrap();
        let mut tmp = tempfile::NamedTempFile::new_in(dir).unwrap();
        std::io::Write::write_all(&mut tmp, &fixture_block()).unwrap();
        tmp.persist(FIXTURE).unwrap();
    }
    std::fs::read(FIXTURE).expect("tests/fixtures/block-v1.kiln (KILN_WRITE_FORMAT_FIXTURE=1 writes it)")
}

fn folded(p: &Partition, s: &StackSamples) -> BTreeMap<String, i64> {
    p.db.tree_of(s).folded_map()
}

fn stacks(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, v)| (s.to_string(), *v)).collect()
}

#[test]
fn the_version_1_fixture_decodes_to_its_exact_contents() {
    let (meta, parts) = decode_block(&fixture()).unwrap();
    assert_eq!((meta.format_version, meta.id.as_str(), meta.tenant.as_str()), (1, "fixture-v1", "acme"));
    assert_eq!((meta.level, meta.rollup_nanos), (2, HOUR));
    assert_eq!(meta.sources, ["segment-a", "segment-b"]);
    assert_eq!((meta.min_time_nanos, meta.max_time_nanos), (T0, T0 + 20 * SEC));
    let services: Vec<_> = meta.partitions.iter().map(|p| (p.service.as_str(), p.profiles, p.samples_count)).collect();
    assert_eq!(services, [("api", 2, 3), ("db", 1, 1)]);

    let api = &parts[0];
    assert_eq!(api.service, "api");
    assert_eq!(api.series.len(), 1);
    assert_eq!(kiln_store::normalize_labels(api.series[0].labels.clone()), series("api").labels);
    assert_eq!((api.series[0].min_time_nanos, api.series[0].max_time_nanos), (T0, T0 + 10 * SEC));
    assert_eq!((api.series[0].profiles, api.series[0].total), (2, 45));
    let rows: Vec<_> = api.rows.iter().map(|r| (r.id, r.time_nanos, r.duration_nanos, r.total)).collect();
    assert_eq!(rows, [(1, T0, 10 * SEC, 30), (2, T0 + 10 * SEC, 10 * SEC, 15)]);
    assert_eq!(folded(api, &api.rows[0].samples), stacks(&[("main;handler;query", 30)]));
    assert_eq!(folded(api, &api.rows[1].samples), stacks(&[("main;handler;query", 10), ("main;gc", 5)]));
    let strings = &api.db.symbols.tables.strings;
    let label = api.rows[0].labels[0];
    assert_eq!(api.rows[0].labels.len(), 1);
    assert_eq!((strings[label.key as usize].as_str(), strings[label.value as usize].as_str()), ("span_id", SPAN));
    assert!(api.rows[1].labels.is_empty());
    assert_eq!(api.rollups.len(), 1);
    assert_eq!((api.rollups[0].series, api.rollups[0].start_nanos, api.rollups[0].profiles), (0, T0, 2));
    assert_eq!(folded(api, &api.rollups[0].samples), stacks(&[("main;handler;query", 40), ("main;gc", 5)]));

    let db = &parts[1];
    assert_eq!((db.service.as_str(), db.rows.len(), db.rows[0].id, db.rows[0].total), ("db", 1, 3, 7));
    assert_eq!(folded(db, &db.rows[0].samples), stacks(&[("main;scan", 7)]));
    assert_eq!((db.rollups[0].start_nanos, db.rollups[0].profiles), (T0, 1));
    assert_eq!(folded(db, &db.rollups[0].samples), stacks(&[("main;scan", 7)]));
}

#[test]
fn the_version_1_fixture_is_what_this_build_would_write() {
    // zstd output may change across library versions; the decoded
    // contents may not.
    let (_, now) = decode_block(&fixture_block()).unwrap();
    let (_, then) = decode_block(&fixture()).unwrap();
    let trees = |ps: &[Partition]| -> Vec<_> {
        ps.iter().flat_map(|p| p.rows.iter().map(move |r| (r.id, r.time_nanos, folded(p, &r.samples)))).collect()
    };
    assert_eq!(trees(&now), trees(&then));
}

/// The fixture with its footer's version replaced, re-checksummed.
fn with_format_version(bytes: &[u8], version: u32) -> Vec<u8> {
    let (mut meta, _) = decode_block(bytes).unwrap();
    let n = bytes.len();
    let old_len = u32::from_le_bytes(bytes[n - 16..n - 12].try_into().unwrap()) as usize;
    meta.format_version = version;
    let footer = meta.encode_to_vec();
    let mut out = bytes[..n - 16 - old_len].to_vec();
    out.extend_from_slice(&footer);
    out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&footer).to_le_bytes());
    out.extend_from_slice(b"KILNBLK1");
    out
}

#[test]
fn a_block_of_format_version_2_is_refused_as_unsupported() {
    assert_eq!(FORMAT_VERSION, 1, "a new format version needs its own fixture beside this one");
    let v2 = with_format_version(&fixture(), 2);
    let err = decode_block(&v2).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnsupportedVersion);
    assert_eq!(err.message, "block fixture-v1 has format version 2; this build reads up to 1");
}

#[tokio::test]
async fn a_store_skips_a_newer_block_and_reports_it() {
    let backend = Arc::new(InMemory::new());
    let put = |name: &str, bytes: Vec<u8>| {
        let backend = backend.clone();
        let path = Path::from(format!("blocks/acme/{name}.kiln"));
        async move { backend.put(&path, PutPayload::from(bytes)).await.unwrap() }
    };
    put("fixture-v1", fixture()).await;
    put("fixture-v2", with_format_version(&fixture(), 2)).await;
    let store = Store::open(
        backend.clone() as Arc<dyn ObjectStore>,
        StoreConfig { maintenance_interval: None, ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(store.stats("acme").profiles, 3, "the version 1 block stays readable");
    let corrupt = store.corrupt_objects();
    assert_eq!(corrupt.len(), 1);
    assert!(corrupt[0].contains("fixture-v2") && corrupt[0].contains("format version 2"), "{corrupt:?}");
}
