//! Starting a command stopped right after `exec`, so sampling can be set up
//! before it runs its first instruction (the `exec` mode of `kiln adhoc`).

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

/// A child process stopped at its first instruction after `exec`.
///
/// It is held with `ptrace`; [`PausedChild::resume`] must be called from the
/// thread that spawned it (the ptrace tracer).
pub struct PausedChild {
    child: Option<Child>,
}

/// Spawns `command` stopped just after `exec` (its stdio and environment as
/// the command sets them).
pub fn spawn_paused(command: &mut Command) -> io::Result<PausedChild> {
    // SAFETY: the closure only calls ptrace, which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    let mut status = 0;
    // SAFETY: waiting for our own child's exec stop.
    let r = unsafe { libc::waitpid(child.id() as i32, &mut status, 0) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    if !libc::WIFSTOPPED(status) {
        return Err(io::Error::other("the child exited before it could be sampled"));
    }
    Ok(PausedChild { child: Some(child) })
}

impl PausedChild {
    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Lets the child run, no longer traced.
    pub fn resume(mut self) -> io::Result<Child> {
        let child = self.child.take().ok_or_else(|| io::Error::other("already resumed"))?;
        detach(child.id())?;
        Ok(child)
    }
}

impl Drop for PausedChild {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            let _ = detach(child.id());
        }
    }
}

fn detach(pid: u32) -> io::Result<()> {
    // SAFETY: detaching a tracee we stopped; signal 0 discards the exec SIGTRAP.
    if unsafe { libc::ptrace(libc::PTRACE_DETACH, pid as i32, 0, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
