//! `kiln exec -- CMD` and `kiln connect --pid PID`: continuous profiling of
//! one program, a profile pushed to a server every upload interval. The
//! arguments become `kiln-agent`'s options; `run_continuous` does the rest.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use kiln_agent::http::Url;
use kiln_agent::upstream::{Auth, BufferLimits, PushClient};
use kiln_agent::{run_continuous, ContinuousOptions, SessionTarget};

use crate::adhoc_cmd::native::{chosen, process_name};
use crate::adhoc_cmd::{parse_tag, Spy};

/// How long queued profiles may take to reach the server once the program is gone.
const FLUSH_LIMIT: Duration = Duration::from_secs(15);

/// The flags `exec` and `connect` share.
#[derive(Args)]
pub struct PushArgs {
    /// The server to push to (its Push API, `/push.v1.PusherService/Push`).
    #[arg(long, default_value = "http://localhost:4040")]
    server_address: String,
    /// The `service_name` label (default: the command's name, or the process's).
    #[arg(long)]
    application_name: Option<String>,
    /// A `key=value` label on every profile (repeatable).
    #[arg(long = "tag", value_parser = parse_tag)]
    tags: Vec<(String, String)>,
    /// Which spy samples: auto picks by the program (python*, ruby, ...), else native.
    #[arg(long, value_enum, default_value = "auto")]
    spy: Spy,
    /// One profile is pushed per interval, e.g. `10s`, `1m`.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    upload_interval: Duration,
    /// Samples per second of CPU time.
    #[arg(long, default_value_t = 100)]
    sample_rate: u32,
    /// A bearer token for a server with authentication on.
    #[arg(long, conflicts_with = "basic_auth")]
    auth_token: Option<String>,
    /// `user:password` for a server with Basic authentication.
    #[arg(long)]
    basic_auth: Option<String>,
    /// The tenant (`X-Scope-OrgID`).
    #[arg(long)]
    tenant_id: Option<String>,
    /// The `service_repository` label: the source repository's URL.
    #[arg(long)]
    service_repository: Option<String>,
    /// The `service_git_ref` label: the commit the program was built from.
    #[arg(long)]
    service_git_ref: Option<String>,
    /// Profiles kept waiting while the server is unreachable, at most; older ones are dropped.
    #[arg(long, default_value_t = 64)]
    buffer_max_profiles: usize,
    /// Bytes of profiles kept waiting, at most, e.g. `16MiB`, `512KiB` or a number of bytes.
    #[arg(long, default_value = "32MiB", value_parser = parse_size)]
    buffer_max_bytes: usize,
}

#[derive(Args)]
pub struct ExecArgs {
    #[command(flatten)]
    push: PushArgs,
    /// The command to run and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<OsString>,
}

#[derive(Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    push: PushArgs,
    /// The running process to profile (and the processes it starts from now on).
    #[arg(long)]
    pid: u32,
}

/// Runs the command under the spy; returns its exit code.
pub fn exec(args: ExecArgs) -> anyhow::Result<i32> {
    let (program, rest) = args.command.split_first().context("no command after `--`")?;
    let name = Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let spy = chosen(args.push.spy).unwrap_or_else(|| kiln_agent::Spy::for_program(&name));
    let mut command = Command::new(program);
    command.args(rest);
    run(&args.push, SessionTarget::Exec(command), spy, name)
}

/// Samples a running process until it exits or kiln is stopped.
pub fn connect(args: ConnectArgs) -> anyhow::Result<i32> {
    let spy = chosen(args.push.spy).unwrap_or_else(|| kiln_agent::Spy::for_process(args.pid));
    run(&args.push, SessionTarget::Attach(args.pid), spy, process_name(args.pid))
}

fn run(args: &PushArgs, target: SessionTarget, spy: kiln_agent::Spy, name: String) -> anyhow::Result<i32> {
    let url = Url::parse(&args.server_address)?;
    let auth = match (&args.auth_token, &args.basic_auth) {
        (Some(token), _) => Some(Auth::Bearer(token.clone())),
        (None, Some(pair)) => Some(Auth::Basic(pair.clone())),
        (None, None) => None,
    };
    let client = PushClient::new(url, auth, args.tenant_id.clone());
    let options = ContinuousOptions {
        spy,
        sample_rate_hz: args.sample_rate,
        upload_interval: args.upload_interval.max(Duration::from_millis(100)),
        labels: labels(args, name),
        buffer: BufferLimits { max_profiles: args.buffer_max_profiles, max_bytes: args.buffer_max_bytes },
        flush_limit: FLUSH_LIMIT,
    };
    let outcome = run_continuous(target, options, client)?;
    let shipped = outcome.shipped;
    eprintln!("kiln: {} samples; pushed {}, dropped {}", outcome.samples, shipped.pushed, shipped.dropped);
    Ok(outcome.exit_code.unwrap_or(0))
}

/// `service_name`, the repository labels when given, then the tags.
fn labels(args: &PushArgs, name: String) -> Vec<(String, String)> {
    let service = args.application_name.clone().unwrap_or(name);
    let mut labels = vec![("service_name".to_owned(), service)];
    let source = [("service_repository", &args.service_repository), ("service_git_ref", &args.service_git_ref)];
    labels.extend(source.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v.clone()?))));
    labels.extend(args.tags.iter().cloned());
    labels
}

/// `123`, `512KiB`, `16MiB` or `1GiB` as bytes.
fn parse_size(s: &str) -> Result<usize, String> {
    let units = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("", 1)];
    let (number, unit) = units.iter().find_map(|(u, m)| Some((s.strip_suffix(u)?, *m))).unwrap_or((s, 1));
    let n: usize =
        number.trim().parse().map_err(|_| format!("a size is a number of bytes or KiB/MiB/GiB, not {s:?}"))?;
    n.checked_mul(unit).ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_binary_units_and_refuse_other_text() {
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").unwrap_err().contains("not \"lots\""));
        assert!(parse_size("99999999999999999GiB").unwrap_err().contains("too large"));
    }
}
