//! Signals during a profiling run: SIGINT/SIGTERM sent to kiln are
//! forwarded to the profiled command, or, with no command, ask kiln to stop;
//! and exit statuses reported as a shell would.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The shell's view of an exit status: the code, or 128 + the signal.
pub fn shell_exit_code(status: ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(1)
}

/// True once SIGINT or SIGTERM arrived while [`SignalForwarding`] had no
/// child to forward them to.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The child SIGINT/SIGTERM go to; 0 means "stop the session" instead.
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);
/// Set when SIGINT/SIGTERM arrive with no child to forward them to.
static STOP: AtomicBool = AtomicBool::new(false);

/// Forwards a signal sent to kiln (by `kill`) to the child. A signal the
/// terminal sent (Ctrl-C, `si_code == SI_KERNEL`) already reached the child,
/// which shares kiln's process group, so it is not sent twice.
extern "C" fn on_signal(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    let pid = FORWARD_TO.load(Ordering::SeqCst);
    if pid <= 0 {
        STOP.store(true, Ordering::SeqCst);
        return;
    }
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let from_terminal = !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL;
    if !from_terminal {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// SIGINT and SIGTERM handlers while it lives; the previous handlers come
/// back on drop.
pub struct SignalForwarding {
    previous: [(libc::c_int, libc::sigaction); 2],
}

impl SignalForwarding {
    /// Forwards SIGINT/SIGTERM to `child`; with `child == 0` they set the
    /// flag [`stop_requested`] reads instead.
    pub fn install(child: i32) -> SignalForwarding {
        FORWARD_TO.store(child, Ordering::SeqCst);
        STOP.store(false, Ordering::SeqCst);
        let previous = [libc::SIGINT, libc::SIGTERM].map(|signal| (signal, set_handler(signal)));
        SignalForwarding { previous }
    }
}

impl Drop for SignalForwarding {
    fn drop(&mut self) {
        for (signal, old) in &self.previous {
            // SAFETY: restoring the disposition saved by `set_handler`.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
        FORWARD_TO.store(0, Ordering::SeqCst);
    }
}

fn set_handler(signal: libc::c_int) -> libc::sigaction {
    // SAFETY: a zeroed sigaction is valid; the handler only does
    // async-signal-safe work (an atomic load/store and kill).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = on_signal;
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, &action, &mut old);
        old
    }
}
