//! `kiln-model`: Kiln's profile model, call tree and every wire codec.
//!
//! Pure and deterministic: no I/O, no threads, no async. Decoders take
//! bytes and return a [`Profile`] or a typed [`Error`] saying which format,
//! where, and why; they never panic on bad input and bound decompression.

pub mod builder;
pub mod convert;
pub mod detect;
pub mod duration;
pub mod error;
pub mod flamebearer;
pub mod flamegraph;
pub mod flamegraph_diff;
pub mod folded;
pub mod gzip;
pub mod ingest;
pub mod ingest_name;
pub mod jfr;
pub mod lines;
pub mod merge;
pub mod otlp;
pub mod perf_script;
pub mod pprof;
pub mod pprof_append;
mod pprof_shape;
pub mod profile;
pub mod profile_type;
pub mod sandwich;
pub mod selector;
pub mod speedscope;
mod stack_profile;
pub mod stacks;
pub mod symbols;
pub mod top;
pub mod tree;
pub mod tree_format;
pub mod trie;
mod truncate;
mod varint;
pub mod wire_bound;

/// Types generated from Kiln's own `.proto` files.
pub mod pb {
    pub mod google {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/google.v1.rs"));
        }
    }
    pub mod jfr {
        pub mod labels {
            include!(concat!(env!("OUT_DIR"), "/jfr.labels.rs"));
        }
    }
    /// OpenTelemetry profiles `v1development` (see `proto/otlp/`).
    pub mod otlp {
        include!(concat!(env!("OUT_DIR"), "/kiln.otlp.v1development.rs"));
    }
    pub mod querier {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/querier.v1.rs"));
        }
    }
}

pub use builder::ProfileBuilder;
pub use error::{Error, ErrorKind, Position, Result};
pub use profile::{Function, Label, Line, Location, Mapping, Profile, Sample, StrId, ValueType};
pub use profile_type::ProfileType;
pub use tree::Tree;
