//! Kiln's profiling agent.
//!
//! The native spy ([`NativeSampler`]) samples any compiled program on Linux
//! x86_64 with `perf_event_open` (`cpu-clock`), copies each sample's user
//! registers and stack, unwinds them with the binaries' `.eh_frame` (frame
//! pointers as a fallback) in a reader thread, and symbolizes the unique
//! addresses once at [`NativeSampler::stop`] with blazesym: symbol tables
//! for function names as perf gives them, DWARF for inlined frames and
//! lines, debug files by build id, the vDSO from the process's memory and
//! JIT perf maps. The Python spy ([`PythonSampler`], the py-spy
//! crate) and the Ruby spy ([`RubySampler`], the rbspy crate) read the
//! interpreters' own stacks; [`Spy`] picks one for a command or process.
//! [`spawn_paused`] starts a command stopped after `exec` so nothing it does
//! escapes the sampler; [`run_session`] runs a whole `kiln adhoc` session
//! around them, forwarding signals ([`SignalForwarding`]);
//! [`run_continuous`] samples one program for `kiln exec`/`kiln connect`
//! and pushes a profile per interval to a server. [`upstream`] holds the
//! push and pull upstreams of `kiln adhoc` and the bounded, retrying push
//! client of the continuous run, over kiln's one HTTP client ([`http`]).
//! [`agent`] is `kiln agent`: scrape jobs shipping continuously.

pub mod agent;
mod collector;
mod continuous;
mod cpu_credit;
mod debug_file;
mod debuginfod;
mod elf_object;
mod error;
mod events;
mod fd_limit;
pub mod host;
pub mod http;
mod kallsyms;
mod launch;
mod objects;
mod perf_event;
mod perf_map;
mod proc_file;
mod proc_stat;
mod proc_tree;
mod process;
mod profile_out;
mod python_spy;
mod reader;
mod records;
mod ring;
mod ruby_spy;
mod sampler;
mod session;
mod signals;
mod spy;
mod symbol_alias;
mod symbolize;
pub mod upstream;
mod vdso;
pub mod watch;

pub use continuous::{run_continuous, ContinuousOptions, ContinuousOutcome};
pub use error::{Error, Result};
pub use launch::{spawn_paused, PausedChild};
pub use python_spy::PythonSampler;
pub use ruby_spy::RubySampler;
pub use sampler::{NativeSampler, SamplerStats, Target};
pub use session::{run_session, SessionOptions, SessionOutcome, SessionTarget};
pub use signals::{shell_exit_code, stop_requested, SignalForwarding};
pub use spy::Spy;
