//! Exec and connect modes: a spy samples the command (or `--pid`) until it
//! exits or `--duration` ends. The one place `run_session` is called.

use std::io::IsTerminal;
use std::process::Command;
use std::time::Duration;

use anyhow::bail;
use kiln_agent::{self as agent, run_session, SessionOptions, SessionTarget};

use super::output::{self, Report};
use super::{command_line, command_name, sanitize, AdhocArgs, Spy};

/// Samples the target and writes its report; returns the child's exit code.
pub fn run(args: &AdhocArgs) -> anyhow::Result<i32> {
    let (target, app, spy) = target_and_app(args)?;
    let options = SessionOptions {
        spy,
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

/// The session target, the application name and the spy.
fn target_and_app(args: &AdhocArgs) -> anyhow::Result<(SessionTarget, String, agent::Spy)> {
    if let Some(pid) = args.pid {
        let app = args.application_name.clone().unwrap_or_else(|| process_name(pid));
        let spy = chosen(args.spy).unwrap_or_else(|| agent::Spy::for_process(pid));
        return Ok((SessionTarget::Attach(pid), sanitize(&app), spy));
    }
    let Some((program, rest)) = args.command.split_first() else {
        bail!("nothing to profile: give a command after `--`, --pid PID, --push -- CMD or --url URL");
    };
    let base = command_name(args).unwrap_or_default();
    let spy = chosen(args.spy).unwrap_or_else(|| agent::Spy::for_program(&base));
    let mut command = Command::new(program);
    command.args(rest);
    Ok((SessionTarget::Exec(command), sanitize(args.application_name.as_deref().unwrap_or(&base)), spy))
}

/// The spy `--spy` names; `None` for auto.
pub(crate) fn chosen(spy: Spy) -> Option<agent::Spy> {
    match spy {
        Spy::Auto => None,
        Spy::Native => Some(agent::Spy::Native),
        Spy::Python => Some(agent::Spy::Python),
        Spy::Ruby => Some(agent::Spy::Ruby),
    }
}

pub(crate) fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or(format!("pid-{pid}"))
}

fn subject(args: &AdhocArgs) -> String {
    match args.pid {
        Some(pid) => format!("pid {pid}"),
        None => command_line(args),
    }
}
