//! `kiln agent` scraping a real Go program (`net/http/pprof`, built with
//! Debian's golang-go) into a real `kiln server`: every profile kind is
//! stored under the target's labels, allocations as per-interval deltas, a
//! failing target is counted without stopping the others, `/ready` and
//! `/metrics` answer, and a target removed from a watched file_sd file
//! stops being scraped while another goes on.

mod agent_support;

use std::time::Duration;

use agent_support::*;

const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
const ALLOC_SPACE: &str = "memory:alloc_space:bytes:space:bytes";
const INUSE_SPACE: &str = "memory:inuse_space:bytes:space:bytes";
const MUTEX: &str = "mutex:delay:nanoseconds:contentions:count";
const BLOCK: &str = "block:delay:nanoseconds:contentions:count";
const GOROUTINE: &str = "goroutine:goroutine:count:goroutine:count";

fn config(server: &Server, jobs: &str) -> String {
    format!("[server]\naddress = \"{}\"\n\n[agent]\nlisten = \"127.0.0.1:0\"\n\n{jobs}", server.url)
}

#[test]
fn every_go_profile_is_stored_with_the_target_labels_and_allocations_per_interval() {
    let dir = temp_dir("static");
    let server = Server::start(&dir);
    let go = GoTarget::start();
    let down = format!("127.0.0.1:{}", free_port());
    let jobs = format!(
        "[[scrape_configs]]\njob_name = \"go-apps\"\nscrape_interval = \"2s\"\nscrape_timeout = \"5s\"\n\n\
         [[scrape_configs.static_configs]]\ntargets = [\"{}\", \"{down}\"]\n\
         labels = {{ service_name = \"scraped\", env = \"ci\" }}\n",
        go.address
    );
    let agent = Agent::start(&dir, &config(&server, &jobs));
    assert_eq!(http_get(&agent.address, "/ready").0, 200, "ready once the jobs started");
    let selector = format!(r#"{{service_name="scraped",env="ci",job="go-apps",instance="{}"}}"#, go.address);
    // Allocations need two scrapes (the first primes the delta); wait for a few more.
    let stored = eventually(Duration::from_secs(40), || {
        agent.metric("kiln_agent_profiles_pushed_total", "go-apps") >= 20
            && server.total_in(ALLOC_SPACE, &selector, "allocInKilnScrape") > 0
    });
    std::thread::sleep(Duration::from_secs(6));
    let pushed = agent.metric("kiln_agent_profiles_pushed_total", "go-apps");
    let failures = agent.metric("kiln_agent_collect_failures_total", "go-apps");
    let taken = agent.metric("kiln_agent_profiles_taken_total", "go-apps");
    let targets = agent.metric("kiln_agent_targets", "go-apps");
    let (status, log) = agent.stop();
    assert!(stored, "profiles reached the server");
    assert!(status.success(), "SIGTERM stops the agent cleanly: {status:?}");
    assert_eq!(targets, 2);
    assert!(failures >= 6, "every scrape of the closed port fails and is counted: {failures}");
    assert!(log.contains(&format!("scraping http://{down}/debug/pprof/")), "and logged: {log}");
    assert!(taken >= 20 && pushed >= 20, "the live target goes on meanwhile: taken {taken}, pushed {pushed}");
    assert!(log.contains("job \"go-apps\": pushed"), "the agent says what it shipped: {log}");

    for (profile_type, function) in [
        (CPU, "burnCPUInKilnScrape"),
        (INUSE_SPACE, "allocInKilnScrape"),
        (MUTEX, "lockInKilnScrape"),
        (BLOCK, "waitInKilnScrape"),
        (GOROUTINE, "parkedInKilnScrape"),
    ] {
        let total = server.total_in(profile_type, &selector, function);
        assert!(total > 0, "{profile_type}: {function} stored under the target's labels");
    }
    // Stored per interval, the allocations add up to at most what the
    // program allocated (less the priming interval); stored cumulatively
    // they would add up to several times as much.
    let stored = server.total_in(ALLOC_SPACE, &selector, "allocInKilnScrape");
    let allocated = go.allocated();
    eprintln!("allocInKilnScrape: stored {stored} bytes, the program allocated {allocated}");
    assert!(stored <= allocated, "stored {stored} > allocated {allocated}: not per interval");
    assert!(stored * 4 >= allocated, "stored {stored} of {allocated}: intervals are missing");
}

#[test]
fn a_target_removed_from_a_file_sd_file_stops_being_scraped_while_the_other_goes_on() {
    let dir = temp_dir("file-sd");
    let server = Server::start(&dir);
    let (a, b) = (GoTarget::start(), GoTarget::start());
    let group = |t: &GoTarget, name: &str| {
        format!(r#"{{"targets": ["{}"], "labels": {{"service_name": "{name}"}}}}"#, t.address)
    };
    let targets = dir.join("targets.json");
    std::fs::write(&targets, format!("[{}, {}]", group(&a, "sd-a"), group(&b, "sd-b"))).unwrap();
    let jobs = format!(
        "[[scrape_configs]]\njob_name = \"discovered\"\nscrape_interval = \"1s\"\nprofiles = [\"goroutine\"]\n\n\
         [[scrape_configs.file_sd_configs]]\nfiles = [\"{}/*.json\"]\nrefresh_interval = \"500ms\"\n",
        dir.display()
    );
    let agent = Agent::start(&dir, &config(&server, &jobs));
    let goroutines =
        |service: &str| server.total_in(GOROUTINE, &format!(r#"{{service_name="{service}"}}"#), "parkedInKilnScrape");
    let both = eventually(Duration::from_secs(30), || goroutines("sd-a") > 0 && goroutines("sd-b") > 0);
    assert!(both, "both discovered targets are scraped");
    assert_eq!(agent.metric("kiln_agent_targets", "discovered"), 2);

    std::fs::write(&targets, format!("[{}]", group(&b, "sd-b"))).unwrap();
    let one = eventually(Duration::from_secs(10), || agent.metric("kiln_agent_targets", "discovered") == 1);
    assert!(one, "the file's change is seen");
    // Let a scrape of `a` that was already queued reach the server.
    std::thread::sleep(Duration::from_secs(2));
    let (a_before, b_before) = (goroutines("sd-a"), goroutines("sd-b"));
    std::thread::sleep(Duration::from_secs(4));
    let (a_after, b_after) = (goroutines("sd-a"), goroutines("sd-b"));
    let (status, _) = agent.stop();
    assert!(status.success());
    assert_eq!(a_after, a_before, "the removed target's series stops growing");
    assert!(b_after > b_before, "the other target's series goes on growing: {b_before} -> {b_after}");
}

#[test]
fn a_config_with_an_unknown_key_is_refused_naming_the_key_and_the_file() {
    let dir = temp_dir("bad-config");
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        "[server]\naddress = \"http://127.0.0.1:4040\"\n\n[[scrape_configs]]\njob_name = \"j\"\nintervall = \"1s\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("agent")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown field `intervall`") && stderr.contains("agent.toml"), "{stderr}");
}
