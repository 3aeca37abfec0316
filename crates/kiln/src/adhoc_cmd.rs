//! `kiln adhoc`: profile one command or process on this machine and write
//! standalone reports, in one of four modes:
//!
//! - exec (`-- CMD ARGS...`) and connect (`--pid PID`): a spy samples it
//!   ([`native`]);
//! - push (`--push -- CMD`): the command sends its own profiles with a
//!   Pyroscope SDK to a local ingest endpoint ([`push`]);
//! - pull (`--url URL [-- CMD]`): a pprof endpoint is scraped ([`pull`]).
//!
//! Every mode ends in [`output::write`]: the terminal summary, the report
//! files and the copy in the data directory.

mod child;
pub(crate) mod native;
mod output;
mod pull;
mod push;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};

#[derive(Args)]
pub struct AdhocArgs {
    /// Which spy samples the program: auto picks python for python*, ruby for ruby/bundle/rails/rake
    /// (or by the interpreter a --pid process runs), else native.
    #[arg(long, value_enum, default_value = "auto", conflicts_with_all = ["push", "url"])]
    spy: Spy,
    /// Samples per second of CPU time (exec and --pid; SDKs and pprof endpoints pick their own rate).
    #[arg(long, default_value_t = 100, conflicts_with_all = ["push", "url"])]
    sample_rate: u32,
    /// Application name used in file names and the report (default: the command's name; with --push, the
    /// name each SDK sends, all replaced by this one; with --url and no command, the URL's host).
    #[arg(long)]
    application_name: Option<String>,
    /// A `key=value` tag recorded on every sample (repeatable).
    #[arg(long = "tag", value_parser = parse_tag)]
    tags: Vec<(String, String)>,
    /// Where the report and other files go (default: the current directory). A run that yields several
    /// applications or profile types writes a directory of reports here.
    #[arg(long, default_value = ".")]
    output_dir: PathBuf,
    /// Files to write besides the HTML report: html, pprof, folded, speedscope, json.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "html")]
    format: Vec<output::Format>,
    /// Stop profiling after this long, e.g. `30s`, `2m`, `500ms` (a command still runs to its end).
    #[arg(long, value_parser = crate::parse_duration)]
    duration: Option<Duration>,
    /// Attach to this running process instead of running a command.
    #[arg(long, conflicts_with = "command")]
    pid: Option<u32>,
    /// Push mode: run the command with PYROSCOPE_SERVER_ADDRESS and PYROSCOPE_ADHOC_SERVER_ADDRESS set to a
    /// local ingest endpoint, and report what its Pyroscope SDK sends there.
    #[arg(long, conflicts_with_all = ["pid", "url"], requires = "command")]
    push: bool,
    /// Pull mode: scrape this pprof endpoint (e.g. Go's http://host:6060/debug/pprof/profile) repeatedly
    /// while the command runs, for --duration, or until Ctrl-C.
    #[arg(long, conflicts_with = "pid")]
    url: Option<String>,
    /// The command to run and its arguments.
    #[arg(last = true)]
    command: Vec<OsString>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Spy {
    Auto,
    Native,
    Python,
    Ruby,
}

pub(crate) fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("a tag is key=value, not {s:?}")),
    }
}

/// Runs the mode the arguments ask for; returns the exit code for kiln.
pub fn run(args: AdhocArgs) -> anyhow::Result<i32> {
    if args.push {
        return push::run(&args);
    }
    if let Some(url) = &args.url {
        return pull::run(&args, url);
    }
    native::run(&args)
}

/// The command's file name, e.g. `python3` for `/usr/bin/python3`.
fn command_name(args: &AdhocArgs) -> Option<String> {
    let program = args.command.first()?;
    Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned())
}

/// The command line as one string, for the report's subject.
fn command_line(args: &AdhocArgs) -> String {
    args.command.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
}

/// A name that is safe as part of a file name.
fn sanitize(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        "adhoc".to_owned()
    } else {
        s
    }
}

/// Now as `YYYY-MM-DD-HH-MM-SS` (UTC).
fn timestamp() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
    kiln_render::rfc3339(nanos).replace(['T', ':'], "-").trim_end_matches('Z').to_owned()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_safe_file_name_parts() {
        let ts = timestamp();
        assert_eq!(ts.len(), "YYYY-MM-DD-HH-MM-SS".len(), "{ts}");
        assert!(ts.chars().all(|c| c.is_ascii_digit() || c == '-'), "{ts}");
    }
}
