//! Continuous CPU profiling embedded in a Rust application.
//!
//! ```no_run
//! let agent = kiln_sdk::Agent::builder("http://localhost:4040", "my-service")
//!     .tags(&[("env", "prod")])
//!     .start()?;
//! kiln_sdk::tag_scope(&[("handler", "checkout")], || { /* work */ });
//! agent.stop()?;
//! # Ok::<(), kiln_sdk::Error>(())
//! ```
//!
//! `SIGPROF` fires every 1/`sample_rate` s of the process's CPU time
//! (`setitimer(ITIMER_PROF)`); its handler walks the interrupted thread's
//! frame pointers, reading the stack through `process_vm_readv` (a bad
//! frame pointer ends the walk instead of faulting), and stores the
//! addresses with the thread's tag-set id in a pre-allocated lock-free ring:
//! no allocation, no lock. A plain thread drains the ring, symbolises,
//! aggregates per tag set and pushes a pprof per tag set every
//! `upload_interval` through the Push API. Build the application with
//! `-C force-frame-pointers=yes` for whole stacks; without it the leaf
//! function (self time) is still right, its callers are not.

mod agent;
mod collector;
mod error;
mod pprof;
mod push;
mod ring;
mod sampler;
mod symbolize;
mod tags;

pub use agent::{Agent, AgentBuilder, Stats};
pub use error::Error;
pub use tags::{tag_guard, tag_scope, TagGuard};
