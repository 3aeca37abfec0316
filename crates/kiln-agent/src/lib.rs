//! Kiln's profiling agent.
//!
//! The native spy ([`NativeSampler`]) samples any compiled program on Linux
//! x86_64 with `perf_event_open` (`cpu-clock`), copies each sample's user
//! registers and stack, unwinds them with the binaries' `.eh_frame` (frame
//! pointers as a fallback) in a reader thread, and symbolizes the unique
//! addresses once at [`NativeSampler::stop`] with DWARF (inlined frames) or
//! symbol tables, demangled. [`spawn_paused`] starts a command stopped after
//! `exec` so nothing it does escapes the sampler; [`run_session`] runs a
//! whole `kiln adhoc` session around them.

mod collector;
mod elf_object;
mod error;
mod events;
mod launch;
mod objects;
mod perf_event;
mod process;
mod profile_out;
mod reader;
mod records;
mod ring;
mod sampler;
mod session;
mod symbolize;

pub use error::{Error, Result};
pub use launch::{spawn_paused, PausedChild};
pub use sampler::{NativeSampler, SamplerStats, Target};
pub use session::{run_session, SessionOptions, SessionOutcome, SessionTarget};
