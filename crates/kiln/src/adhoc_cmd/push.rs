//! Push mode: `kiln adhoc --push -- CMD` serves the API's ingest routes
//! (legacy `/ingest`, the Push API, OTLP: the server's own decoders) on a
//! random loopback port, runs the command with `PYROSCOPE_SERVER_ADDRESS` and
//! `PYROSCOPE_ADHOC_SERVER_ADDRESS` pointing there, and reports what its
//! Pyroscope SDK sent, per application and profile.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::extract::Request;
use axum::middleware::{self, Next};
use kiln_api::{ApiState, IngestSink};
use tokio::sync::oneshot;

use super::child::Child;
use super::collect::Collector;
use super::output::{self, Report};
use super::{command_line, sanitize, AdhocArgs};

/// After the command exits, requests are still taken until none has been
/// seen for this long...
const QUIET: Duration = Duration::from_millis(200);
/// ...or for at most this long.
const GRACE: Duration = Duration::from_secs(2);

/// Runs the command against a local endpoint; returns its exit code.
pub fn run(args: &AdhocArgs) -> anyhow::Result<i32> {
    let Some((program, rest)) = args.command.split_first() else {
        bail!("--push needs a command: kiln adhoc --push -- CMD ARGS...");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let collector = Arc::new(Collector::new());
    let server = runtime.block_on(Endpoint::start(collector.clone()))?;
    let url = format!("http://127.0.0.1:{}", server.addr.port());
    eprintln!("kiln: receiving profiles at {url} (PYROSCOPE_SERVER_ADDRESS)");
    let mut command = Command::new(program);
    command.args(rest).env("PYROSCOPE_ADHOC_SERVER_ADDRESS", &url).env("PYROSCOPE_SERVER_ADDRESS", &url);
    let code = run_command(&mut command, &collector, args.duration)?;
    settle(&collector);
    runtime.block_on(server.stop());
    runtime.shutdown_timeout(Duration::from_millis(100));
    let reports = reports(&collector, args);
    if reports.is_empty() {
        eprintln!("kiln: no profile arrived at {url}; is the command instrumented with a Pyroscope SDK?");
        return Ok(if code == 0 { 1 } else { code });
    }
    output::write(reports, args, &command_line(args))?;
    Ok(code)
}

/// Runs the command to its end; closes the collector after `duration`.
fn run_command(command: &mut Command, collector: &Collector, duration: Option<Duration>) -> anyhow::Result<i32> {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut child = Child::spawn(command)?;
    let mut last_progress = started;
    let code = child.wait(|| {
        if duration.is_some_and(|d| started.elapsed() >= d) {
            collector.close();
        }
        if tty && last_progress.elapsed() >= Duration::from_millis(250) {
            last_progress = Instant::now();
            eprint!(
                "\rkiln: {} profiles received, {:.1}s elapsed ",
                collector.received(),
                started.elapsed().as_secs_f64()
            );
        }
    })?;
    if tty {
        eprint!("\r\x1b[K");
    }
    Ok(code)
}

/// Lets requests sent just before the command exited arrive.
fn settle(collector: &Collector) {
    collector.touch();
    let started = Instant::now();
    while !collector.idle_for(QUIET) && started.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(20));
    }
    collector.close();
}

fn reports(collector: &Collector, args: &AdhocArgs) -> Vec<Report> {
    let collected = collector.take();
    let reports = collected.into_iter().map(|c| Report {
        app: sanitize(args.application_name.as_deref().unwrap_or(&c.app)),
        kind: c.kind,
        profile: c.profile,
        header: format!("{} profile{} pushed", c.profiles, if c.profiles == 1 { "" } else { "s" }),
    });
    reports.collect()
}

/// The ingest endpoint on a random loopback port.
struct Endpoint {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Endpoint {
    async fn start(collector: Arc<Collector>) -> anyhow::Result<Endpoint> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("opening the ingest endpoint")?;
        let addr = listener.local_addr()?;
        let sink: Arc<dyn IngestSink> = collector.clone();
        let counted = middleware::from_fn(move |request: Request, next: Next| {
            let collector = collector.clone();
            async move {
                let _in_flight = collector.request();
                next.run(request).await
            }
        });
        let mut state = ApiState::new(sink);
        // The endpoint serves one command: report whatever time it stamps on its profiles.
        (state.limits.reject_older_than_nanos, state.limits.reject_newer_than_nanos) = (0, 0);
        let app = kiln_api::router(state).layer(counted);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let done = tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(shutdown).await });
        Ok(Endpoint { addr, stop, done })
    }

    /// Stops accepting; waits a moment for connections to finish.
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(GRACE, self.done).await;
    }
}
