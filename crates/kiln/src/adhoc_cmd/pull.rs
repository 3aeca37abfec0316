//! Pull mode: `kiln adhoc --url URL [-- CMD]` runs the command and lets
//! kiln-agent's pull loop scrape the pprof endpoint (Go's `net/http/pprof`)
//! in 1 s windows while it runs, for `--duration`, or until Ctrl-C.

use std::io::IsTerminal;
use std::process::Command;
use std::time::Duration;

use kiln_agent::upstream::{self, PprofEndpoint, PullOptions, PullWatch};
use kiln_model::profile_type::pprof_metric_name;
use kiln_model::Profile;

use super::child::{Child, StopOnSignal};
use super::output::{self, Report};
use super::{command_line, command_name, sanitize, AdhocArgs};

/// Seconds of profile asked for per scrape: short, so the last scrape ends
/// near the command's exit (Go takes whole seconds only).
const WINDOW_SECS: u64 = 1;

/// Scrapes until the command exits (or `--duration`, or Ctrl-C) and writes the report.
pub fn run(args: &AdhocArgs, url: &str) -> anyhow::Result<i32> {
    let endpoint = PprofEndpoint::parse(url, WINDOW_SECS)?;
    let name = args.application_name.clone().or_else(|| command_name(args));
    let app = sanitize(&name.unwrap_or_else(|| endpoint.host().to_owned()));
    let mut target = Target::start(args)?;
    let options = PullOptions::new(args.duration, target.has_command());
    let pulled = match upstream::pull(&endpoint, &options, &mut target) {
        // Nothing scraped is reported after the command's end; other errors at once.
        Err(e) if !matches!(e, kiln_agent::Error::NothingScraped { .. }) => return Err(e.into()),
        pulled => pulled,
    };
    let code = target.finish()?;
    target.clear_progress();
    let pulled = pulled?;
    let header = format!("{} scrapes over {:.1}s", pulled.scrapes, pulled.elapsed.as_secs_f64());
    let subject = if args.command.is_empty() { url.to_owned() } else { format!("{url} ({})", command_line(args)) };
    let report = Report { app, kind: kind(&pulled.profile), profile: pulled.profile, header };
    output::write(vec![report], args, &subject)?;
    Ok(code)
}

/// The profile's `__name__` as Pyroscope derives it from its sample types.
fn kind(profile: &Profile) -> String {
    let names: Vec<&str> = profile.sample_types.iter().map(|vt| profile.str(vt.ty)).collect();
    let name = pprof_metric_name(names.iter().copied()).or(names.first().copied());
    name.unwrap_or("process_cpu").to_owned()
}

/// The command being profiled, or Ctrl-C when there is none, and the
/// progress line shown on a terminal.
struct Target {
    stop: Stop,
    tty_progress: bool,
}

enum Stop {
    Command(Child),
    Signals(StopOnSignal),
}

impl Target {
    fn start(args: &AdhocArgs) -> anyhow::Result<Target> {
        let stop = match args.command.split_first() {
            Some((program, rest)) => Stop::Command(Child::spawn(Command::new(program).args(rest))?),
            None => Stop::Signals(StopOnSignal::install()),
        };
        Ok(Target { stop, tty_progress: false })
    }

    fn has_command(&self) -> bool {
        matches!(self.stop, Stop::Command(_))
    }

    /// Waits for the command; its exit code, or 0 without one.
    fn finish(&mut self) -> anyhow::Result<i32> {
        match &mut self.stop {
            Stop::Command(child) => child.wait(|| {}),
            Stop::Signals(_) => Ok(0),
        }
    }

    fn clear_progress(&self) {
        if self.tty_progress {
            eprint!("\r\x1b[K");
        }
    }
}

impl PullWatch for Target {
    fn running(&mut self) -> kiln_agent::Result<bool> {
        match &mut self.stop {
            Stop::Command(child) => Ok(child
                .try_exit_code()
                .map_err(|source| kiln_agent::Error::Io { what: "waiting for the command", source })?
                .is_none()),
            Stop::Signals(stop) => Ok(!stop.requested()),
        }
    }

    fn progress(&mut self, scrapes: usize, elapsed: Duration) {
        if std::io::stderr().is_terminal() {
            self.tty_progress = true;
            eprint!("\rkiln: {scrapes} scrapes, {:.1}s elapsed ", elapsed.as_secs_f64());
        }
    }

    fn failing(&mut self, error: &kiln_agent::Error) {
        let chain: Vec<String> = anyhow::Chain::new(error).map(|e| e.to_string()).collect();
        eprintln!("kiln: {}", chain.join(": "));
    }
}
