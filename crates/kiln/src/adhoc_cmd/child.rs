//! The command of push and pull modes: it shares kiln's stdin, stdout and
//! stderr, SIGINT/SIGTERM sent to kiln are forwarded to it, and its exit
//! status is reported as a shell would. Without a command, the same
//! signals ask kiln to stop.
//!
//! Mirrors the forwarding `kiln_agent`'s session does for the native spy.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use anyhow::Context;

/// How often a wait checks the command.
const TICK: Duration = Duration::from_millis(50);

/// A running command with signals forwarded to it.
pub struct Child {
    inner: std::process::Child,
    _signals: SignalForwarding,
}

impl Child {
    /// Starts the command.
    pub fn spawn(command: &mut Command) -> anyhow::Result<Child> {
        let program = command.get_program().to_string_lossy().into_owned();
        let inner = command.spawn().with_context(|| format!("starting {program}"))?;
        let _signals = SignalForwarding::install(inner.id() as i32);
        Ok(Child { inner, _signals })
    }

    /// The exit code if the command has exited.
    pub fn exit_code(&mut self) -> anyhow::Result<Option<i32>> {
        Ok(self.inner.try_wait().context("waiting for the command")?.map(shell_code))
    }

    /// Waits for the command to exit, calling `tick` about every 50 ms meanwhile.
    pub fn wait(&mut self, mut tick: impl FnMut()) -> anyhow::Result<i32> {
        loop {
            if let Some(code) = self.exit_code()? {
                return Ok(code);
            }
            tick();
            std::thread::sleep(TICK);
        }
    }
}

/// SIGINT/SIGTERM handlers that set a flag, when there is no command.
pub struct StopOnSignal {
    _signals: SignalForwarding,
}

impl StopOnSignal {
    pub fn install() -> StopOnSignal {
        StopOnSignal { _signals: SignalForwarding::install(0) }
    }

    /// True once SIGINT or SIGTERM arrived.
    pub fn requested(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }
}

/// The shell's view of an exit status: the code, or 128 + the signal.
fn shell_code(status: ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(1)
}

/// The child SIGINT/SIGTERM go to; 0 means "stop" instead.
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

/// SIGINT and SIGTERM handlers while it lives; the previous ones come back on drop.
struct SignalForwarding {
    previous: [(libc::c_int, libc::sigaction); 2],
}

impl SignalForwarding {
    fn install(child: i32) -> SignalForwarding {
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
