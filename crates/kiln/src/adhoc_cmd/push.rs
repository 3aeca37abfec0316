//! Push mode: `kiln adhoc --push -- CMD` serves kiln-agent's push upstream
//! (the API's ingest routes on a random loopback port), runs the command
//! with `PYROSCOPE_SERVER_ADDRESS` and `PYROSCOPE_ADHOC_SERVER_ADDRESS`
//! pointing there, and reports what its Pyroscope SDK sent, per
//! application and profile.

use std::io::IsTerminal;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use kiln_agent::upstream::{PushCollector, PushEndpoint};

use super::child::Child;
use super::output::{self, Report};
use super::{command_line, sanitize, AdhocArgs};

/// Runs the command against a local endpoint; returns its exit code.
pub fn run(args: &AdhocArgs) -> anyhow::Result<i32> {
    let Some((program, rest)) = args.command.split_first() else {
        bail!("--push needs a command: kiln adhoc --push -- CMD ARGS...");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let collector = Arc::new(PushCollector::new());
    let server = runtime.block_on(PushEndpoint::start(collector.clone()))?;
    let url = server.url();
    eprintln!("kiln: receiving profiles at {url} (PYROSCOPE_SERVER_ADDRESS)");
    let mut command = Command::new(program);
    command.args(rest).env("PYROSCOPE_ADHOC_SERVER_ADDRESS", &url).env("PYROSCOPE_SERVER_ADDRESS", &url);
    let code = run_command(&mut command, &collector, args.duration)?;
    collector.settle();
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
fn run_command(command: &mut Command, collector: &PushCollector, duration: Option<Duration>) -> anyhow::Result<i32> {
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

fn reports(collector: &PushCollector, args: &AdhocArgs) -> Vec<Report> {
    let collected = collector.take();
    let reports = collected.into_iter().map(|c| Report {
        app: sanitize(args.application_name.as_deref().unwrap_or(&c.app)),
        kind: c.kind,
        profile: c.profile,
        header: format!("{} profile{} pushed", c.profiles, if c.profiles == 1 { "" } else { "s" }),
    });
    reports.collect()
}
