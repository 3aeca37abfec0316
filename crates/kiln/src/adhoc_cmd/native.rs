//! Exec and connect modes: a spy samples the command (or `--pid`) until it
//! exits or `--duration` ends. The one place `run_session` is called.

use std::io::IsTerminal;
use std::process::Command;
use std::time::Duration;

use anyhow::bail;
use kiln_agent::{run_session, SessionOptions, SessionTarget};

use super::output::{self, Report};
use super::{command_line, command_name, sanitize, AdhocArgs, Spy};

/// Samples the target and writes its report; returns the child's exit code.
pub fn run(args: &AdhocArgs) -> anyhow::Result<i32> {
    let (target, app) = target_and_app(args)?;
    let options = SessionOptions {
        sample_rate_hz: args.sample_rate,
        duration: args.duration,
        progress_every: Duration::from_millis(250),
    };
    let tty = std::io::stderr().is_terminal();
    let outcome = run_session(target, options, |stats, elapsed| {
        if tty {
            eprint!("\rkiln: {} samples, {:.1}s elapsed ", stats.samples, elapsed.as_secs_f64());
        }
    })?;
    if tty {
        eprint!("\r\x1b[K");
    }
    let (stats, elapsed) = (outcome.stats, outcome.elapsed);
    let header = format!("{} samples ({} lost) in {:.1}s", stats.samples, stats.lost, elapsed.as_secs_f64());
    let report = Report { app, kind: "process_cpu".to_owned(), profile: outcome.profile, header };
    output::write(vec![report], args, &subject(args))?;
    Ok(outcome.exit_code.unwrap_or(0))
}

/// The session target and the application name.
fn target_and_app(args: &AdhocArgs) -> anyhow::Result<(SessionTarget, String)> {
    if let Some(pid) = args.pid {
        let app = args.application_name.clone().unwrap_or_else(|| process_name(pid));
        return Ok((SessionTarget::Attach(pid), sanitize(&app)));
    }
    let Some((program, rest)) = args.command.split_first() else {
        bail!("nothing to profile: give a command after `--`, --pid PID, --push -- CMD or --url URL");
    };
    let base = command_name(args).unwrap_or_default();
    if matches!(args.spy, Spy::Auto) && is_interpreter(&base) {
        eprintln!("kiln: {base} is profiled with the native spy; interpreter frames will not be shown");
    }
    let mut command = Command::new(program);
    command.args(rest);
    Ok((SessionTarget::Exec(command), sanitize(args.application_name.as_deref().unwrap_or(&base))))
}

fn is_interpreter(name: &str) -> bool {
    name.starts_with("python") || ["ruby", "bundle", "rails", "rake"].contains(&name)
}

fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or(format!("pid-{pid}"))
}

fn subject(args: &AdhocArgs) -> String {
    match args.pid {
        Some(pid) => format!("pid {pid}"),
        None => command_line(args),
    }
}
