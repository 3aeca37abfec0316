//! The pull loop of `kiln adhoc --url URL [-- CMD]`: a pprof endpoint
//! scraped in short windows while the command runs, for a duration, or
//! until Ctrl-C, and the scrapes merged into one profile.
//!
//! A scrape cut short because the command exited is not an error; a run in
//! which no scrape succeeds is. The command itself is the caller's: the
//! loop only asks a [`PullWatch`] whether it still runs.

use std::time::{Duration, Instant};

use kiln_model::merge::ProfileMerger;
use kiln_model::Profile;

use super::PprofEndpoint;
use crate::error::{Error, Result};

/// How often waiting for the command asks whether it still runs.
const POLL: Duration = Duration::from_millis(20);
/// The longest sleep between two such questions while resting.
const REST_POLL: Duration = Duration::from_millis(50);

/// What a pull run watches and reports to: the command being profiled (or
/// Ctrl-C when there is none), and the caller's progress line.
pub trait PullWatch {
    /// False once the command has exited (or a stop was asked for).
    fn running(&mut self) -> Result<bool>;
    /// After each scrape attempt: the scrapes merged so far and the time since the start.
    fn progress(&mut self, scrapes: usize, elapsed: Duration);
    /// The first failure of a streak after a successful scrape (earlier
    /// failures are expected while a command starts its server).
    fn failing(&mut self, error: &Error);
}

/// When a pull run ends, besides the command's exit.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Whether a command is profiled. Without one, pulling ends on a
    /// failure before the first success, or once failures last `give_up`.
    pub has_command: bool,
    /// Pause after a failed scrape (the command may not listen yet).
    pub retry: Duration,
    /// Without a command, pulling ends once the endpoint has failed this long.
    pub give_up: Duration,
    /// A scrape that fails because the command is exiting fails a moment
    /// before the exit can be seen; this long is allowed for it.
    pub exit_grace: Duration,
}

impl PullOptions {
    /// The options of `kiln adhoc --url`.
    pub fn new(duration: Option<Duration>, has_command: bool) -> PullOptions {
        PullOptions {
            duration,
            has_command,
            retry: Duration::from_millis(100),
            give_up: Duration::from_secs(3),
            exit_grace: Duration::from_millis(300),
        }
    }
}

/// A pull run's result: the merged profile and how it was made.
#[derive(Debug)]
pub struct Pulled {
    pub profile: Profile,
    pub scrapes: usize,
    pub elapsed: Duration,
}

/// Scrapes `endpoint` until `watch` stops running, the duration passes or,
/// without a command, the endpoint keeps failing. An error naming the last
/// failure if nothing was scraped.
pub fn pull(endpoint: &PprofEndpoint, options: &PullOptions, watch: &mut dyn PullWatch) -> Result<Pulled> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io { what: "starting the scraper's runtime", source })?;
    let started = Instant::now();
    let mut state = PullState::default();
    while watch.running()? && options.duration.is_none_or(|d| started.elapsed() < d) {
        let began = Instant::now();
        match runtime.block_on(endpoint.fetch()) {
            Ok(profile) => state.add(&profile)?,
            Err(e) if stops_within(watch, state.exit_grace(options))? => {
                state.cut_short = Some(e);
                break;
            }
            Err(e) => {
                let failing = state.failed(e, began, watch);
                if !options.has_command && (state.scrapes == 0 || failing >= options.give_up) {
                    break;
                }
                std::thread::sleep(options.retry);
            }
        }
        watch.progress(state.scrapes, started.elapsed());
        if state.failing_since.is_none() {
            // At most one scrape per window, for endpoints that answer at once (heap).
            let left = options.duration.map_or(Duration::MAX, |d| d.saturating_sub(started.elapsed()));
            rest(watch, endpoint.window().saturating_sub(began.elapsed()).min(left))?;
        }
    }
    let elapsed = started.elapsed();
    state.finish(endpoint).map(|(profile, scrapes)| Pulled { profile, scrapes, elapsed })
}

/// What has been scraped so far.
#[derive(Default)]
struct PullState {
    merger: ProfileMerger,
    scrapes: usize,
    failing_since: Option<Instant>,
    last_error: Option<Error>,
    /// The error of a scrape the command's exit cut short.
    cut_short: Option<Error>,
}

impl PullState {
    fn add(&mut self, profile: &Profile) -> Result<()> {
        let what = "merging the scraped profiles";
        self.merger.add(profile).map_err(|source| Error::Profile { what: what.into(), source })?;
        self.scrapes += 1;
        self.failing_since = None;
        Ok(())
    }

    /// How long a failed scrape waits for the command's exit: none before the
    /// first success, when failures mean the command's server is starting.
    fn exit_grace(&self, options: &PullOptions) -> Duration {
        if self.scrapes > 0 {
            options.exit_grace
        } else {
            Duration::ZERO
        }
    }

    /// Records a failed scrape; returns how long scrapes have been failing.
    fn failed(&mut self, error: Error, began: Instant, watch: &mut dyn PullWatch) -> Duration {
        if self.scrapes > 0 && self.failing_since.is_none() {
            watch.failing(&error);
        }
        self.last_error = Some(error);
        self.failing_since.get_or_insert(began).elapsed()
    }

    /// The merged profile and the number of scrapes in it.
    fn finish(&mut self, endpoint: &PprofEndpoint) -> Result<(Profile, usize)> {
        if self.scrapes == 0 {
            let cause = self.last_error.take().or(self.cut_short.take());
            let source = cause.map_or_else(|| "no scrape was made".into(), |e| Box::new(e) as _);
            return Err(Error::NothingScraped { url: endpoint.url().to_string(), source });
        }
        Ok((std::mem::take(&mut self.merger).finish(), self.scrapes))
    }
}

/// True if the command exits (or a stop comes) within `grace`.
fn stops_within(watch: &mut dyn PullWatch, grace: Duration) -> Result<bool> {
    let started = Instant::now();
    while watch.running()? {
        if started.elapsed() >= grace {
            return Ok(false);
        }
        std::thread::sleep(POLL);
    }
    Ok(true)
}

/// Sleeps for `pause`, waking early if the command exits (or a stop comes).
fn rest(watch: &mut dyn PullWatch, pause: Duration) -> Result<()> {
    let until = Instant::now() + pause;
    while watch.running()? {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(REST_POLL));
    }
    Ok(())
}
