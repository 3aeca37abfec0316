//! Profile type ids, legacy ingest names and Pyroscope's naming rules.

use kiln_model::ingest_name::IngestName;
use kiln_model::profile_type::{default_sample_type_config, legacy_type, pprof_metric_name};
use kiln_model::ProfileType;

#[test]
fn profile_type_id_round_trips() {
    for id in ["process_cpu:cpu:nanoseconds:cpu:nanoseconds", "memory:alloc_in_new_tlab_bytes:bytes::"] {
        assert_eq!(ProfileType::parse(id).unwrap().id(), id);
    }
    let six = ProfileType::parse("wall:wall:nanoseconds:cpu:nanoseconds:extra").unwrap();
    assert_eq!(six.id(), "wall:wall:nanoseconds:cpu:nanoseconds");
}

#[test]
fn malformed_profile_type_ids_are_refused() {
    for id in ["", "cpu", "a:b:c:d", ":cpu:nanoseconds:cpu:nanoseconds", "a:b:c:d:e:f:g"] {
        assert!(ProfileType::parse(id).is_err(), "{id}");
    }
}

#[test]
fn ingest_name_parses_app_and_labels() {
    let n = IngestName::parse("my.app.cpu{env=prod, region = us-east}").unwrap();
    assert_eq!(n.name, "my.app.cpu");
    assert_eq!(n.labels, vec![("env".into(), "prod".into()), ("region".into(), "us-east".into())]);
    assert_eq!(n.app_and_suffix(), ("my.app", "cpu"));
    assert_eq!(IngestName::parse("app").unwrap().app_and_suffix(), ("app", "cpu"));
    assert!(IngestName::parse("app{}").unwrap().labels.is_empty());
}

#[test]
fn ingest_name_errors_say_what_is_wrong() {
    let cases = [
        ("", "empty"),
        ("my app.cpu", "invalid character"),
        ("app.cpu{env=prod", "closing"),
        ("app.cpu{env}", "key=value"),
        ("app.cpu{__name__=x}", "reserved"),
        ("app.cpu{e-v=x}", "invalid character"),
    ];
    for (name, why) in cases {
        let e = IngestName::parse(name).unwrap_err();
        assert!(e.message.contains(why), "{name}: {e}");
    }
}

#[test]
fn legacy_suffixes_map_to_pyroscope_types() {
    let t = legacy_type("cpu").unwrap();
    assert_eq!((t.name, t.sample_type, t.sample_unit), ("process_cpu", "samples", "count"));
    assert_eq!(legacy_type("alloc_space").unwrap().sample_unit, "bytes");
    assert_eq!(legacy_type("lock_duration").unwrap().name, "block");
    assert_eq!(legacy_type("mutex_duration").unwrap().sample_type, "delay");
    assert_eq!(legacy_type("goroutines").unwrap().name, "goroutine");
    assert!(legacy_type("nonsense").is_none());
}

#[test]
fn pprof_metric_name_follows_display_names() {
    assert_eq!(pprof_metric_name(["samples", "cpu"]), Some("process_cpu"));
    assert_eq!(pprof_metric_name(["cpu", "wall"]), Some("wall"));
    assert_eq!(pprof_metric_name(["alloc_objects", "alloc_space"]), Some("memory"));
    assert_eq!(pprof_metric_name(["mutex_count"]), Some("mutex"));
    assert_eq!(pprof_metric_name(["block_duration"]), Some("block"));
    assert_eq!(pprof_metric_name(["goroutines"]), Some("goroutines"));
    assert_eq!(pprof_metric_name(["whatever"]), None);
}

#[test]
fn default_sample_type_config_matches_pyroscope() {
    let c = default_sample_type_config("samples").unwrap();
    assert_eq!((c.display_name.as_deref(), c.units.as_str(), c.sampled), (Some("cpu"), "samples", true));
    assert!(default_sample_type_config("alloc_space").unwrap().cumulative);
    assert_eq!(default_sample_type_config("delay").unwrap().display_name.as_deref(), Some("mutex_duration"));
    assert!(default_sample_type_config("nope").is_none());
}
