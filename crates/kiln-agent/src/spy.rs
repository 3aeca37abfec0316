//! The spies a session can run, behind one interface, and how `auto`
//! picks one for a command or a running process.

use kiln_model::Profile;

use crate::error::Result;
use crate::python_spy::PythonSampler;
use crate::ruby_spy::RubySampler;
use crate::sampler::{NativeSampler, SamplerStats, Target};

/// Which spy samples a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spy {
    /// `perf_event_open` with DWARF unwinding: any compiled program.
    Native,
    /// py-spy: Python frames of CPython.
    Python,
    /// rbspy: Ruby frames of MRI.
    Ruby,
}

impl Spy {
    /// The spy for a command, by its program's file name: `python*` and
    /// `*.py` are Python; `ruby*`, `bundle`, `rails`, `rake`, `rspec`,
    /// `irb` and `*.rb` are Ruby; anything else is native.
    pub fn for_program(name: &str) -> Spy {
        let ruby_tools = ["bundle", "bundler", "rails", "rake", "rspec", "irb", "puma", "sidekiq"];
        if name.starts_with("python") || name.ends_with(".py") {
            Spy::Python
        } else if name.starts_with("ruby") || name.ends_with(".rb") || ruby_tools.contains(&name) {
            Spy::Ruby
        } else {
            Spy::Native
        }
    }

    /// The spy for a running process: by its executable's name, else by
    /// the interpreter library it has loaded (`libpython*`, `libruby*`).
    pub fn for_process(pid: u32) -> Spy {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        let name = exe.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        if let Some(spy @ (Spy::Python | Spy::Ruby)) = name.as_deref().map(Spy::for_program) {
            return spy;
        }
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
        if maps.contains("/libpython") {
            Spy::Python
        } else if maps.contains("/libruby") {
            Spy::Ruby
        } else {
            Spy::Native
        }
    }
}

/// A started spy.
pub(crate) enum Running {
    Native(NativeSampler),
    Python(PythonSampler),
    Ruby(RubySampler),
}

impl Running {
    pub fn start(spy: Spy, target: Target, rate_hz: u32) -> Result<Running> {
        Ok(match spy {
            Spy::Native => Running::Native(NativeSampler::start(target, rate_hz)?),
            Spy::Python => Running::Python(PythonSampler::start(target, rate_hz)?),
            Spy::Ruby => Running::Ruby(RubySampler::start(target, rate_hz)?),
        })
    }

    pub fn stats(&self) -> SamplerStats {
        match self {
            Running::Native(s) => s.stats(),
            Running::Python(s) => s.stats(),
            Running::Ruby(s) => s.stats(),
        }
    }

    /// Stops the spy: the profile and the final counts.
    pub fn stop(self) -> Result<(Profile, SamplerStats)> {
        match self {
            Running::Native(s) => s.stop_with_stats(),
            Running::Python(s) => {
                let stats = s.stats();
                Ok((s.stop()?, stats))
            }
            Running::Ruby(s) => {
                let stats = s.stats();
                Ok((s.stop()?, stats))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreters_and_their_tools_pick_their_spy() {
        assert_eq!(Spy::for_program("python3.11"), Spy::Python);
        assert_eq!(Spy::for_program("train.py"), Spy::Python);
        assert_eq!(Spy::for_program("ruby"), Spy::Ruby);
        assert_eq!(Spy::for_program("bundle"), Spy::Ruby);
        assert_eq!(Spy::for_program("rake"), Spy::Ruby);
        assert_eq!(Spy::for_program("server.rb"), Spy::Ruby);
        assert_eq!(Spy::for_program("primes"), Spy::Native);
        assert_eq!(Spy::for_program("node"), Spy::Native);
    }

    #[test]
    fn this_test_process_is_native() {
        assert_eq!(Spy::for_process(std::process::id()), Spy::Native);
    }
}
