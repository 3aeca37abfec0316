//! The reader thread: waits on the ring buffers (or a stop request), drains
//! them, and feeds the records to the [`Collector`] in time order.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::collector::{Collected, Collector};
use crate::error::{Error, Result};
use crate::events::OpenEvents;
use crate::records::parse_all;

/// Longest wait between two drains, in milliseconds.
const POLL_MS: i32 = 100;

/// A self-pipe that wakes the reader thread to stop.
pub struct WakePipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl WakePipe {
    /// A non-blocking pipe.
    pub fn new() -> Result<WakePipe> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two-element array on success.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(Error::last_os("pipe2"));
        }
        // SAFETY: both descriptors were just created and are ours.
        Ok(unsafe { WakePipe { read: OwnedFd::from_raw_fd(fds[0]), write: OwnedFd::from_raw_fd(fds[1]) } })
    }

    /// Asks the reader thread to finish.
    pub fn wake(&self) {
        // SAFETY: writing one byte from a valid buffer to our pipe.
        unsafe { libc::write(self.write.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
    }
}

/// Drains until woken through `wake`, then disables the events, drains a
/// last time and returns what was collected.
pub fn run_reader(events: OpenEvents, collector: Collector, wake: &WakePipe) -> Collected {
    run_reader_with(events, collector, wake, |_, _| {}).finish()
}

/// Like [`run_reader`], calling `after_drain(collector, stopping)` after
/// every drain (`stopping` on the last one), and returning the collector.
pub fn run_reader_with(
    mut events: OpenEvents,
    mut collector: Collector,
    wake: &WakePipe,
    mut after_drain: impl FnMut(&mut Collector, bool),
) -> Collector {
    let mut buffers: Vec<Vec<u8>> = events.rings.iter().map(|_| Vec::new()).collect();
    loop {
        let stopping = wait(&events, wake);
        if stopping {
            events.disable_all();
        }
        drain(&mut events, &mut buffers, &mut collector);
        after_drain(&mut collector, stopping);
        if stopping {
            // Closing perf events can wait for RCU grace periods (tens of
            // milliseconds each); nobody needs to wait for that.
            let _ = std::thread::Builder::new().name("kiln-perf-close".into()).spawn(move || drop(events));
            return collector;
        }
    }
}

/// Waits for data or a stop request; true when stopping.
fn wait(events: &OpenEvents, wake: &WakePipe) -> bool {
    let mut fds: Vec<libc::pollfd> = events.rings.iter().map(|r| poll_in(r.fd().as_raw_fd())).collect();
    fds.push(poll_in(wake.read.as_raw_fd()));
    poll(&mut fds);
    if fds.iter().rev().skip(1).all(|p| p.revents & libc::POLLHUP != 0) {
        // Every target exited and the rings hang up at once: wait on the
        // stop request alone rather than spin.
        fds = vec![poll_in(wake.read.as_raw_fd())];
        poll(&mut fds);
    }
    fds.last().is_some_and(|p| p.revents & libc::POLLIN != 0)
}

fn poll_in(fd: i32) -> libc::pollfd {
    libc::pollfd { fd, events: libc::POLLIN, revents: 0 }
}

fn poll(fds: &mut [libc::pollfd]) {
    // SAFETY: `fds` is a valid array of pollfd for its length.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_MS) };
}

fn drain(events: &mut OpenEvents, buffers: &mut [Vec<u8>], collector: &mut Collector) {
    for (ring, buffer) in events.rings.iter_mut().zip(buffers.iter_mut()) {
        buffer.clear();
        ring.drain_into(buffer);
    }
    let mut records = Vec::new();
    for buffer in buffers.iter() {
        parse_all(buffer, &mut records);
    }
    collector.apply(&mut records);
}
