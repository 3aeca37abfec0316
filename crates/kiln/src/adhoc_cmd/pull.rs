//! Pull mode: `kiln adhoc --url URL [-- CMD]` scrapes a pprof endpoint
//! (Go's `net/http/pprof`) in short windows while the command runs, for
//! `--duration`, or until Ctrl-C, and merges the scrapes into one profile.
//!
//! A scrape cut short because the command exited is not an error; a run in
//! which no scrape succeeds is.

use std::io::IsTerminal;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use kiln_agent::upstream::PprofEndpoint;
use kiln_model::merge::ProfileMerger;
use kiln_model::profile_type::pprof_metric_name;
use kiln_model::Profile;

use super::child::{Child, StopOnSignal};
use super::output::{self, Report};
use super::{command_line, command_name, sanitize, AdhocArgs};

/// Seconds of profile asked for per scrape: short, so the last scrape ends
/// near the command's exit (Go takes whole seconds only).
const WINDOW_SECS: u64 = 1;
/// Pause after a failed scrape (the command may not listen yet).
const RETRY: Duration = Duration::from_millis(100);
/// Without a command, pulling ends once the endpoint has failed this long.
const GIVE_UP: Duration = Duration::from_secs(3);
/// A scrape that fails because the command is exiting fails a moment
/// before the exit can be seen; this long is allowed for it.
const EXIT_GRACE: Duration = Duration::from_millis(300);

/// Scrapes until the command exits (or `--duration`, or Ctrl-C) and writes the report.
pub fn run(args: &AdhocArgs, url: &str) -> anyhow::Result<i32> {
    let endpoint = PprofEndpoint::parse(url, WINDOW_SECS)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let name = args.application_name.clone().or_else(|| command_name(args));
    let app = sanitize(&name.unwrap_or_else(|| endpoint.host().to_owned()));
    let mut target = Target::start(args)?;
    let started = Instant::now();
    let mut pulled = Pulled::default();
    while target.running()? && args.duration.is_none_or(|d| started.elapsed() < d) {
        let began = Instant::now();
        match runtime.block_on(endpoint.fetch()) {
            Ok(profile) => pulled.add(&profile)?,
            Err(e) if target.stops_within(pulled.exit_grace())? => {
                pulled.cut_short = Some(e.into());
                break;
            }
            Err(e) => {
                let failing = pulled.failed(e.into(), began);
                if !target.has_command() && (pulled.scrapes == 0 || failing >= GIVE_UP) {
                    break;
                }
                std::thread::sleep(RETRY);
            }
        }
        pulled.progress(started);
        if pulled.failing_since.is_none() {
            // At most one scrape per window, for endpoints that answer at once (heap).
            let left = args.duration.map_or(Duration::MAX, |d| d.saturating_sub(started.elapsed()));
            target.rest(endpoint.window().saturating_sub(began.elapsed()).min(left))?;
        }
    }
    let elapsed = started.elapsed();
    let code = target.finish()?;
    pulled.clear_progress();
    let profile = pulled.finish(url)?;
    let header = format!("{} scrapes over {:.1}s", pulled.scrapes, elapsed.as_secs_f64());
    let subject = if args.command.is_empty() { url.to_owned() } else { format!("{url} ({})", command_line(args)) };
    output::write(vec![Report { app, kind: kind(&profile), profile, header }], args, &subject)?;
    Ok(code)
}

/// The profile's `__name__` as Pyroscope derives it from its sample types.
fn kind(profile: &Profile) -> String {
    let names: Vec<&str> = profile.sample_types.iter().map(|vt| profile.str(vt.ty)).collect();
    let name = pprof_metric_name(names.iter().copied()).or(names.first().copied());
    name.unwrap_or("process_cpu").to_owned()
}

/// What has been scraped so far.
#[derive(Default)]
struct Pulled {
    merger: ProfileMerger,
    scrapes: usize,
    failing_since: Option<Instant>,
    last_error: Option<anyhow::Error>,
    /// The error of a scrape the command's exit cut short.
    cut_short: Option<anyhow::Error>,
    tty_progress: bool,
}

impl Pulled {
    fn add(&mut self, profile: &Profile) -> anyhow::Result<()> {
        self.merger.add(profile).context("merging the scraped profiles")?;
        self.scrapes += 1;
        self.failing_since = None;
        Ok(())
    }

    /// How long a failed scrape waits for the command's exit: none before the
    /// first success, when failures mean the command's server is starting.
    fn exit_grace(&self) -> Duration {
        if self.scrapes > 0 {
            EXIT_GRACE
        } else {
            Duration::ZERO
        }
    }

    /// Records a failed scrape; returns how long scrapes have been failing.
    /// Failures before the first success are expected while a command
    /// starts its server, so only a streak after a success is printed.
    fn failed(&mut self, error: anyhow::Error, began: Instant) -> Duration {
        if self.scrapes > 0 && self.failing_since.is_none() {
            eprintln!("kiln: {error:#}");
        }
        self.last_error = Some(error);
        self.failing_since.get_or_insert(began).elapsed()
    }

    fn progress(&mut self, started: Instant) {
        if std::io::stderr().is_terminal() {
            self.tty_progress = true;
            eprint!("\rkiln: {} scrapes, {:.1}s elapsed ", self.scrapes, started.elapsed().as_secs_f64());
        }
    }

    fn clear_progress(&self) {
        if self.tty_progress {
            eprint!("\r\x1b[K");
        }
    }

    /// The merged profile; an error naming the last failure if nothing was scraped.
    fn finish(&mut self, url: &str) -> anyhow::Result<Profile> {
        if self.scrapes == 0 {
            let cause =
                self.last_error.take().or(self.cut_short.take()).unwrap_or_else(|| anyhow!("no scrape was made"));
            return Err(cause.context(format!("no profile could be scraped from {url}")));
        }
        Ok(std::mem::take(&mut self.merger).finish())
    }
}

/// The command being profiled, or Ctrl-C when there is none.
enum Target {
    Command(Child),
    Signals(StopOnSignal),
}

impl Target {
    fn start(args: &AdhocArgs) -> anyhow::Result<Target> {
        let Some((program, rest)) = args.command.split_first() else {
            return Ok(Target::Signals(StopOnSignal::install()));
        };
        Ok(Target::Command(Child::spawn(Command::new(program).args(rest))?))
    }

    fn has_command(&self) -> bool {
        matches!(self, Target::Command(_))
    }

    fn running(&mut self) -> anyhow::Result<bool> {
        match self {
            Target::Command(child) => Ok(child.exit_code()?.is_none()),
            Target::Signals(stop) => Ok(!stop.requested()),
        }
    }

    /// True if the command exits (or Ctrl-C comes) within `grace`.
    fn stops_within(&mut self, grace: Duration) -> anyhow::Result<bool> {
        let started = Instant::now();
        while self.running()? {
            if started.elapsed() >= grace {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(true)
    }

    /// Sleeps for `pause`, waking early if the command exits (or Ctrl-C comes).
    fn rest(&mut self, pause: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + pause;
        while self.running()? {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        Ok(())
    }

    /// Waits for the command; its exit code, or 0 without one.
    fn finish(&mut self) -> anyhow::Result<i32> {
        match self {
            Target::Command(child) => child.wait(|| {}),
            Target::Signals(_) => Ok(0),
        }
    }
}
