//! `[[process_configs]]` by name: the watcher picks up two programs started
//! after it, samples each with its own spy and pushes their profiles
//! through the Shipper to a loopback Push API endpoint, labelled with
//! `service_name`, `process_name`, `pid` and the entry's labels; when one
//! exits its spy stops and its pushes end while the other's go on.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use common::build;
use common::perf_compare::self_shares;
use kiln_agent::http::Url;
use kiln_agent::upstream::{BufferLimits, PushClient, Shipper};
use kiln_agent::watch::{ProcessConfig, ProcessMatcher, WatchOptions, WatchSink, Watcher};
use kiln_agent::Spy;
use kiln_api::pb::push::PushRequest;
use kiln_model::Profile;
use prost::Message;

/// A pushed profile: its labels and the profile.
type Pushed = (BTreeMap<String, String>, Profile);

/// A Push API endpoint on loopback keeping what it receives.
fn push_endpoint(runtime: &tokio::runtime::Runtime, pushed: Arc<Mutex<Vec<Pushed>>>) -> Url {
    let app = Router::new().route(
        "/push.v1.PusherService/Push",
        post(move |body: Bytes| async move {
            let request = PushRequest::decode(body).expect("a PushRequest");
            for series in request.series {
                let labels: BTreeMap<String, String> =
                    series.labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
                for sample in series.samples {
                    let profile = kiln_model::pprof::decode(&sample.raw_profile).expect("a pprof profile");
                    pushed.lock().unwrap().push((labels.clone(), profile));
                }
            }
            "{}"
        }),
    );
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("address");
    runtime.spawn(async move { axum::serve(listener, app).await });
    Url::parse(&format!("http://{addr}")).expect("url")
}

/// The watcher's profiles go to the shipper's queue.
struct ToShipper(Arc<Shipper>);

impl WatchSink for ToShipper {
    fn profile(&self, body: Vec<u8>, _samples: u64) {
        self.0.send(body);
    }
    fn processes(&self, _running: usize) {}
    fn failed(&self) {}
}

/// Kills the child if the test fails before it does.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(exe: &Path) -> Running {
    Running(Command::new(exe).arg("60").stdout(Stdio::null()).spawn().expect("start a program"))
}

fn pushes_of(pushed: &Mutex<Vec<Pushed>>, pid: u32) -> usize {
    pushed.lock().unwrap().iter().filter(|(l, _)| l.get("pid") == Some(&pid.to_string())).count()
}

/// Waits up to `limit` for `done`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn programs_matched_by_name_are_profiled_and_pushed_until_they_exit() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-g"]);
    let exe = {
        let to = exe.with_file_name("kiln_watch_c");
        std::fs::rename(&exe, &to).expect("rename");
        to
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let pushed = Arc::new(Mutex::new(Vec::new()));
    let url = push_endpoint(&runtime, Arc::clone(&pushed));
    let limits = BufferLimits { max_profiles: 1000, max_bytes: 64 << 20 };
    let shipper = Arc::new(Shipper::start(PushClient::new(url, None, None), limits).expect("shipper"));
    let sink = Arc::clone(&shipper);
    let config = ProcessConfig {
        matcher: ProcessMatcher::Name("kiln_watch_c".into()),
        spy: Some(Spy::Native),
        labels: vec![("env".into(), "test".into())],
        sample_rate_hz: 200,
    };
    let options = WatchOptions { scan_interval: Duration::from_millis(500), upload_interval: Duration::from_secs(1) };
    let watcher = Watcher::start(vec![config], options, ToShipper(sink)).expect("start the watcher");

    let mut first = start(&exe);
    let second = start(&exe);
    let (a, b) = (first.0.id(), second.0.id());
    wait_for(Duration::from_secs(60), "profiles of both programs", || {
        pushes_of(&pushed, a) >= 2 && pushes_of(&pushed, b) >= 2
    });
    assert_eq!(watcher.stats()[0].running, 2, "{:?}", watcher.stats());

    first.0.kill().expect("kill the first program");
    first.0.wait().expect("reap it");
    wait_for(Duration::from_secs(20), "the exited program's spy to stop", || watcher.stats()[0].exited == 1);
    let stats = watcher.stats()[0];
    assert_eq!((stats.started, stats.running, stats.failed), (2, 1, 0), "{stats:?}");
    let (a_then, b_then) = (pushes_of(&pushed, a), pushes_of(&pushed, b));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(pushes_of(&pushed, a), a_then, "no profile after the process exited");
    assert!(pushes_of(&pushed, b) > b_then, "the other program is still pushed");

    let stats = watcher.stop();
    drop(second);
    let shipper = Arc::try_unwrap(shipper).ok().expect("the watcher let go of the shipper");
    let shipped = shipper.finish(Duration::from_secs(10));
    assert_eq!(shipped.dropped, 0, "{shipped:?}");
    assert_eq!(stats[0].running, 0);
    let pushed = pushed.lock().unwrap();
    for pid in [a, b] {
        let mine: Vec<&Pushed> = pushed.iter().filter(|(l, _)| l.get("pid") == Some(&pid.to_string())).collect();
        for (labels, _) in &mine {
            assert_eq!(labels.get("service_name").map(String::as_str), Some("kiln_watch_c"), "{labels:?}");
            assert_eq!(labels.get("process_name").map(String::as_str), Some("kiln_watch_c"), "{labels:?}");
            assert_eq!(labels.get("env").map(String::as_str), Some("test"), "{labels:?}");
            assert_eq!(labels.get("__name__").map(String::as_str), Some("process_cpu"), "{labels:?}");
        }
        let (_, profile) = mine.last().expect("pushed");
        let top = self_shares(profile);
        assert_eq!(top.first().map(|(n, _)| n.as_str()), Some("hot"), "pid {pid}: {top:?}");
    }
}
