//! `kiln-store`: Kiln's storage engine, one code path over the
//! `object_store` crate: a local directory by default, S3-compatible storage
//! at scale, memory in tests.
//!
//! Ingested profiles are acknowledged once written in a segment object
//! (fsync'd on local disk); segments are compacted into per-window blocks
//! with rollups; retention deletes by age and size. See ARCHITECTURE.md.

pub mod background;
mod block_writer;
mod cache;
mod catalog;
mod codec;
mod consolidate;
mod dict;
mod error;
mod format;
mod ingest;
mod labels;
mod lease;
mod maintain;
mod memory;
mod merge;
mod objects;
mod partition;
mod profile_by_id;
mod quarantine;
mod read;
mod read_call_site;
mod read_merge;
mod read_partition;
mod read_rows;
mod read_scan;
mod read_span_rows;
mod read_spans;
mod recent;
mod refresh;
pub mod remote;
mod section_cache;
mod store;
mod symbol_cache;

/// Types generated from `proto/block.proto`.
mod pb {
    include!(concat!(env!("OUT_DIR"), "/kiln.store.v1.rs"));
}

pub use block_writer::{encode_block, BlockHeader};
pub use error::{Error, ErrorKind, Result};
pub use format::FORMAT_VERSION;
pub use ingest::{IngestProfile, IngestSeries, SAMPLE_LABELS_KEPT};
pub use labels::{
    normalize as normalize_labels, AllSeries, Labels, LabelsEqual, SeriesFilter, SERVICE_NAME, UNKNOWN_SERVICE,
};
pub use lease::LeaseConfig;
pub use memory::limit_malloc_arenas;
pub use partition::{Dictionary, Partition, Rollup, Row, RowEntry, SampleLabel, SeriesInfo};
pub use read::{Stats, TimeRange, Totals};
pub use read_merge::MergedStacks;
pub use read_partition::decode_block;
pub use read_rows::RowRef;
pub use read_span_rows::SpanRef;
pub use read_spans::{SPAN_ID, TRACE_ID};
pub use store::{Clock, Store, StoreConfig};
