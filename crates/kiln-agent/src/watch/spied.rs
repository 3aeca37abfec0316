//! One watched process: the spy sampling it, handed over to a fresh spy at
//! each upload interval (as `kiln connect` does), each interval's profile
//! pushed with the process's labels.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::sampler::Target;
use crate::spy::{Running, Spy};
use crate::upstream::encode_push;

/// The profile type every spy's profile is pushed as.
const PROFILE_NAME: &str = "process_cpu";

/// A process being sampled.
pub struct Spied {
    pub pid: u32,
    spy: Spy,
    rate_hz: u32,
    labels: Vec<(String, String)>,
    running: Running,
    interval_start: Instant,
}

/// What stopping or handing over an interval yields: samples and the
/// encoded push (none for an interval without samples).
pub struct Shipped {
    pub samples: u64,
    pub body: Option<Vec<u8>>,
}

impl Spied {
    /// Starts `spy` on `pid`; `labels` are the series' labels.
    pub fn start(pid: u32, spy: Spy, rate_hz: u32, labels: Vec<(String, String)>) -> Result<Spied> {
        let running = Running::start(spy, Target::Pid(pid), rate_hz)?;
        Ok(Spied { pid, spy, rate_hz, labels, running, interval_start: Instant::now() })
    }

    /// Hands over to a fresh spy once `interval` has passed; the last
    /// one's profile is returned. `Err(NoSuchProcess)` when the process is gone.
    pub fn rotate(&mut self, interval: Duration) -> Result<Option<Shipped>> {
        if self.interval_start.elapsed() < interval {
            return Ok(None);
        }
        self.interval_start = Instant::now();
        let next = match Running::start(self.spy, Target::Pid(self.pid), self.rate_hz) {
            Ok(next) => next,
            Err(e @ Error::NoSuchProcess(_)) => return Err(e),
            Err(e) => {
                eprintln!(
                    "kiln: pid {}: the next interval's spy did not start, the current one goes on: {e}",
                    self.pid
                );
                return Ok(None);
            }
        };
        let last = std::mem::replace(&mut self.running, next);
        Ok(Some(ship_with(&self.labels, last)))
    }

    /// Stops the spy: the last interval's profile.
    pub fn stop(self) -> Shipped {
        ship_with(&self.labels, self.running)
    }
}

fn ship_with(labels: &[(String, String)], running: Running) -> Shipped {
    match running.stop() {
        Ok((profile, stats)) => {
            let body = (!profile.samples.is_empty()).then(|| encode_push(PROFILE_NAME, labels, &profile));
            Shipped { samples: stats.samples, body }
        }
        Err(e) => {
            eprintln!("kiln: an interval's profile was lost: {e}");
            Shipped { samples: 0, body: None }
        }
    }
}
