//! The command of push and pull modes: it shares kiln's stdin, stdout and
//! stderr, SIGINT/SIGTERM sent to kiln are forwarded to it, and its exit
//! status is reported as a shell would. Without a command, the same
//! signals ask kiln to stop.

use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use kiln_agent::{shell_exit_code, stop_requested, SignalForwarding};

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
    pub fn try_exit_code(&mut self) -> std::io::Result<Option<i32>> {
        Ok(self.inner.try_wait()?.map(shell_exit_code))
    }

    /// Waits for the command to exit, calling `tick` about every 50 ms meanwhile.
    pub fn wait(&mut self, mut tick: impl FnMut()) -> anyhow::Result<i32> {
        loop {
            if let Some(code) = self.try_exit_code().context("waiting for the command")? {
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
        stop_requested()
    }
}
