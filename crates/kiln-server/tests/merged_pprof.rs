//! The merged pprof keeps what the SDK sent. The real Go CPU fixture is
//! uploaded twice through `/ingest`, then `SelectMergeProfile` and
//! `SelectMergeStacktraces` with `PROFILE_FORMAT_PPROF` are asked over
//! Connect, and `go tool pprof -raw` (Debian's `golang-go`) reads both the
//! answers and the fixture: per stack of locations (address, function,
//! file and line, inlined frames included) the answer's totals are twice
//! the fixture's, and the binary's mapping is kept.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use kiln_api::pb::querier::v1 as q;
use prost::Message;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
const TENANT: &str = "pprof-org";

/// What `go tool pprof -raw` says of a profile: the value of one sample
/// type per stack (each location written as its address and frames), and
/// the mappings' lines.
struct Raw {
    stacks: BTreeMap<Vec<String>, i64>,
    mappings: Vec<String>,
}

fn go_raw(pprof: &[u8], sample_type: &str) -> Raw {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.pb");
    std::fs::write(&path, pprof).unwrap();
    let out = std::process::Command::new("go").args(["tool", "pprof", "-raw"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "go tool pprof: {}", String::from_utf8_lossy(&out.stderr));
    parse_raw(&String::from_utf8(out.stdout).unwrap(), sample_type)
}

fn parse_raw(text: &str, sample_type: &str) -> Raw {
    let section = |name: &str| -> Vec<&str> {
        text.lines().skip_while(|l| *l != name).skip(1).take_while(|l| !l.ends_with(':') && *l != "Locations").collect()
    };
    let samples = section("Samples:");
    let column = samples[0].split_whitespace().position(|t| t == sample_type).expect("the sample type");
    let mut locations: BTreeMap<&str, String> = BTreeMap::new();
    let mut last = "";
    for line in text.lines().skip_while(|l| *l != "Locations").skip(1).take_while(|l| *l != "Mappings") {
        match line.trim_start().split_once(": ") {
            Some((id, frames)) if id.chars().all(|c| c.is_ascii_digit()) => {
                last = id;
                locations.insert(id, frames.to_owned());
            }
            _ => locations.get_mut(last).unwrap().push_str(&format!(" | {}", line.trim())),
        }
    }
    let mut stacks = BTreeMap::new();
    for line in &samples[1..] {
        let (values, ids) = line.split_once(':').unwrap();
        let value: i64 = values.split_whitespace().nth(column).unwrap().parse().unwrap();
        let stack = ids.split_whitespace().map(|id| locations[id].clone()).collect();
        *stacks.entry(stack).or_insert(0) += value;
    }
    let mappings = text.lines().skip_while(|l| *l != "Mappings").skip(1).map(str::to_owned).collect();
    Raw { stacks, mappings }
}

fn upload(addr: SocketAddr) {
    let path = "/ingest?name=goapp&format=pprof&spyName=gospy&sampleRate=100";
    let (status, body) = common::http(addr, path, &[("X-Scope-OrgID", TENANT)], GO_CPU);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

/// `SelectMergeProfile` of the stacks under a call site, root first.
fn merged_under(addr: SocketAddr, site: &[&str]) -> Vec<u8> {
    let ms = kiln_model::pprof::decode(GO_CPU).unwrap().time_nanos / 1_000_000;
    let call_site = site.iter().map(|&name| kiln_api::pb::types::v1::Location { name: name.into() }).collect();
    let merge = q::SelectMergeProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: "{service_name=\"goapp\"}".into(),
        start: ms - 60_000,
        end: ms + 60_000,
        stack_trace_selector: Some(kiln_api::pb::types::v1::StackTraceSelector { call_site, go_pgo: None }),
        ..Default::default()
    };
    let profile: kiln_model::pb::google::v1::Profile =
        common::connect(addr, TENANT, "SelectMergeProfile", &merge).unwrap();
    profile.encode_to_vec()
}

fn merged_pprofs(addr: SocketAddr) -> [Vec<u8>; 2] {
    let ms = kiln_model::pprof::decode(GO_CPU).unwrap().time_nanos / 1_000_000;
    let (start, end) = (ms - 60_000, ms + 60_000);
    let selector = "{service_name=\"goapp\"}".to_owned();
    let merge = q::SelectMergeProfileRequest {
        profile_type_id: CPU.into(),
        label_selector: selector.clone(),
        start,
        end,
        ..Default::default()
    };
    let profile: kiln_model::pb::google::v1::Profile =
        common::connect(addr, TENANT, "SelectMergeProfile", &merge).unwrap();
    let stacktraces = q::SelectMergeStacktracesRequest {
        profile_type_id: CPU.into(),
        label_selector: selector,
        start,
        end,
        format: q::ProfileFormat::Pprof as i32,
        ..Default::default()
    };
    let resp: q::SelectMergeStacktracesResponse =
        common::connect(addr, TENANT, "SelectMergeStacktraces", &stacktraces).unwrap();
    [profile.encode_to_vec(), resp.pprof.unwrap().profile.unwrap().encode_to_vec()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_pprof_keeps_addresses_functions_files_lines_and_mappings_as_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let running = common::start_on_loopback(dir.path()).await;
    let addr = running.addr;
    let answers = tokio::task::spawn_blocking(move || {
        upload(addr);
        upload(addr);
        let site = ["runtime.main", "main.main", "main.write", "main.main.func1", "main.burn"];
        (merged_pprofs(addr), merged_under(addr, &site))
    })
    .await
    .unwrap();
    let (answers, under_burn) = answers;
    running.shutdown().await.unwrap();

    let sent = go_raw(&kiln_model::gzip::gunzip("fixture", GO_CPU, 1 << 30).unwrap(), "cpu/nanoseconds");
    let twice: BTreeMap<Vec<String>, i64> = sent.stacks.iter().map(|(k, v)| (k.clone(), 2 * v)).collect();
    assert!(twice.keys().any(|s| s[0].contains("./prog.go:34") && s[0].contains("main.burn ./prog.go:25")));
    for answer in answers {
        let got = go_raw(&answer, "cpu/nanoseconds");
        assert_eq!(got.stacks, twice, "per stack of locations, the totals of both uploads");
        assert_eq!(got.mappings, sent.mappings, "the binary's mapping");
    }
    // The one stack through main.warm is not under main.burn.
    let under: BTreeMap<Vec<String>, i64> =
        twice.into_iter().filter(|(stack, _)| !stack.iter().any(|l| l.contains("main.warm"))).collect();
    assert_eq!(under.len(), 3);
    assert_eq!(go_raw(&under_burn, "cpu/nanoseconds").stacks, under, "only the stacks under the call site");
}
