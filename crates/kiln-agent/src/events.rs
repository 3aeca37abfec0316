//! Opens the events of a session: for each CPU, one ring buffer, fed by one
//! inherited event per thread of the target that exists at start. Threads
//! and processes created later inherit the events of their creator.

use std::collections::BTreeSet;
use std::os::fd::OwnedFd;

use perf_event_open_sys::bindings::perf_event_attr;

use crate::error::{Error, Result};
use crate::fd_limit::raise_fd_limit;
use crate::perf_event::{disable, online_cpus, open, open_first, redirect_output};
use crate::ring::{Ring, DATA_PAGES};

/// Passes over `/proc/PID/task` looking for threads born while we attach.
const THREAD_SCAN_PASSES: usize = 4;

/// The open events of a session.
pub struct OpenEvents {
    /// One ring per CPU, owning that CPU's first event.
    pub rings: Vec<Ring>,
    /// Events whose output goes into a ring.
    pub others: Vec<OwnedFd>,
}

impl OpenEvents {
    /// Stops every event; records already written stay readable.
    pub fn disable_all(&self) {
        self.rings.iter().map(Ring::fd).chain(self.others.iter()).for_each(disable);
    }
}

/// Opens events for every thread of `pid` on every CPU.
pub fn open_events(pid: u32, rate_hz: u32) -> Result<OpenEvents> {
    raise_fd_limit();
    let wakeup = (DATA_PAGES * 4096 / 2) as u32;
    let mut events = OpenEvents { rings: Vec::new(), others: Vec::new() };
    let mut attr: Option<perf_event_attr> = None;
    for cpu in online_cpus() {
        let fd = match attr {
            Some(a) => open(&a, pid, cpu).map_err(|source| open_error(pid, cpu, source))?,
            None => {
                let (fd, a) = open_first(rate_hz, wakeup, pid, cpu)?;
                attr = Some(a);
                fd
            }
        };
        events.rings.push(Ring::map(fd)?);
    }
    let Some(attr) = attr else { return Ok(events) };
    let mut seen = BTreeSet::from([pid]);
    for _ in 0..THREAD_SCAN_PASSES {
        let fresh: Vec<u32> = threads_of(pid)?.into_iter().filter(|t| seen.insert(*t)).collect();
        if fresh.is_empty() {
            break;
        }
        for tid in fresh {
            attach_thread(&mut events, &attr, tid)?;
        }
    }
    Ok(events)
}

fn open_error(pid: u32, cpu: i32, source: std::io::Error) -> Error {
    if source.raw_os_error() == Some(libc::ESRCH) {
        return Error::NoSuchProcess(pid);
    }
    Error::PerfOpen { pid, cpu, source }
}

/// Adds one existing thread's events; a thread that already exited is skipped.
fn attach_thread(events: &mut OpenEvents, attr: &perf_event_attr, tid: u32) -> Result<()> {
    let cpus = online_cpus();
    for (ring, &cpu) in events.rings.iter().zip(&cpus) {
        let fd = match open(attr, tid, cpu) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(()),
            Err(source) => return Err(Error::PerfOpen { pid: tid, cpu, source }),
        };
        redirect_output(&fd, ring.fd())?;
        events.others.push(fd);
    }
    Ok(())
}

/// The thread ids of a process.
fn threads_of(pid: u32) -> Result<Vec<u32>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|_| Error::NoSuchProcess(pid))?;
    Ok(dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
}
