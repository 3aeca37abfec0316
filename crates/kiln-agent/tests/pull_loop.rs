//! The pull loop of `kiln adhoc --url` without the binary: a loopback
//! server answers with the real Go CPU profile (or fails), and a scripted
//! watch stands for the command being profiled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use kiln_agent::upstream::{pull, PprofEndpoint, PullOptions, PullWatch};
use kiln_model::Profile;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");

/// Serves the Go profile for the first `good` requests, then HTTP 503.
/// Returns the runtime serving it, the endpoint (0 s windows, so the loop
/// does not wait between scrapes) and when the first failure was answered.
fn endpoint(good: usize) -> (tokio::runtime::Runtime, PprofEndpoint, Arc<Mutex<Option<Instant>>>) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (served, first_failure) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(None)));
    let failed_at = first_failure.clone();
    let answer = move || {
        let (served, failed_at) = (served.clone(), failed_at.clone());
        async move {
            if served.fetch_add(1, Ordering::SeqCst) < good {
                return (StatusCode::OK, GO_CPU.to_vec());
            }
            failed_at.lock().unwrap().get_or_insert_with(Instant::now);
            (StatusCode::SERVICE_UNAVAILABLE, b"shutting down".to_vec())
        }
    };
    let app = Router::new().route("/debug/pprof/profile", get(answer));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/debug/pprof/profile", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, PprofEndpoint::parse(&url, 0).unwrap(), first_failure)
}

/// Stands for the command: it exits once `exits` says so; records what
/// the loop reported.
struct Command<F: FnMut(usize) -> bool> {
    exits: F,
    scrapes: usize,
    failures: Vec<String>,
}

impl<F: FnMut(usize) -> bool> Command<F> {
    fn new(exits: F) -> Self {
        Command { exits, scrapes: 0, failures: Vec::new() }
    }
}

impl<F: FnMut(usize) -> bool> PullWatch for Command<F> {
    fn running(&mut self) -> kiln_agent::Result<bool> {
        Ok(!(self.exits)(self.scrapes))
    }

    fn progress(&mut self, scrapes: usize, _elapsed: Duration) {
        self.scrapes = scrapes;
    }

    fn failing(&mut self, error: &kiln_agent::Error) {
        self.failures.push(error.to_string());
    }
}

fn cpu_total(p: &Profile) -> i64 {
    let cpu = p.sample_types.iter().position(|vt| p.str(vt.ty) == "cpu").expect("a cpu sample type");
    p.samples.iter().map(|s| s.values[cpu]).sum()
}

#[test]
fn the_windows_scraped_until_the_command_exits_are_merged_into_one_profile() {
    let (_server, endpoint, _) = endpoint(usize::MAX);
    let mut command = Command::new(|scrapes| scrapes >= 3);
    let pulled = pull(&endpoint, &PullOptions::new(None, true), &mut command).unwrap();
    assert_eq!(pulled.scrapes, 3);
    let one = kiln_model::pprof::decode(GO_CPU).unwrap();
    assert_eq!(cpu_total(&pulled.profile), 3 * cpu_total(&one));
    assert!(command.failures.is_empty());
}

#[test]
fn a_scrape_failing_as_the_command_exits_ends_the_loop_without_an_error() {
    let (_server, endpoint, first_failure) = endpoint(2);
    // The command exits 50 ms after its endpoint started refusing.
    let exited = move |_| first_failure.lock().unwrap().is_some_and(|t| t.elapsed() > Duration::from_millis(50));
    let mut command = Command::new(exited);
    let started = Instant::now();
    let pulled = pull(&endpoint, &PullOptions::new(None, true), &mut command).unwrap();
    assert_eq!(pulled.scrapes, 2);
    assert!(command.failures.is_empty(), "the cut-short scrape is no failure: {:?}", command.failures);
    assert!(started.elapsed() < Duration::from_secs(2), "ended within the exit grace: {:?}", started.elapsed());
}

#[test]
fn without_a_command_a_failing_endpoint_ends_the_loop_after_the_give_up_time() {
    let (_server, endpoint, first_failure) = endpoint(2);
    let options = PullOptions { give_up: Duration::from_millis(400), ..PullOptions::new(None, false) };
    let mut nobody_stops = Command::new(|_| false);
    let pulled = pull(&endpoint, &options, &mut nobody_stops).unwrap();
    assert_eq!(pulled.scrapes, 2, "what was scraped before the failures is kept");
    assert_eq!(nobody_stops.failures.len(), 1, "one report per streak: {:?}", nobody_stops.failures);
    assert!(nobody_stops.failures[0].contains("answered HTTP 503: shutting down"), "{:?}", nobody_stops.failures);
    let failing_for = first_failure.lock().unwrap().expect("a failure").elapsed();
    assert!(failing_for >= Duration::from_millis(400), "gave up after {failing_for:?}");
}

#[test]
fn a_run_without_a_successful_scrape_is_an_error_naming_the_last_failure() {
    let (_server, endpoint, _) = endpoint(0);
    let mut nobody_stops = Command::new(|_| false);
    let e = pull(&endpoint, &PullOptions::new(None, false), &mut nobody_stops).unwrap_err();
    assert_eq!(e.to_string(), format!("no profile could be scraped from {}", endpoint.url()));
    let cause = std::error::Error::source(&e).expect("the cause").to_string();
    assert!(cause.contains("answered HTTP 503: shutting down"), "{cause}");
    assert!(nobody_stops.failures.is_empty(), "failures before a success are expected, not reported");
}

#[test]
fn the_duration_ends_the_loop_while_the_command_runs() {
    let (_server, endpoint, _) = endpoint(usize::MAX);
    let options = PullOptions::new(Some(Duration::from_millis(300)), true);
    let started = Instant::now();
    let pulled = pull(&endpoint, &options, &mut Command::new(|_| false)).unwrap();
    assert!(pulled.scrapes >= 1);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}
