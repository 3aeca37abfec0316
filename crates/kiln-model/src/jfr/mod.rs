//! Java Flight Recorder import: our own reader of the JFR chunk format and
//! a conversion of its events into the profiles Pyroscope makes of them.
//!
//! A JFR file is a sequence of chunks. Each chunk starts with a header that
//! gives the offsets of its metadata event (the self-description of every
//! type) and of its last constant-pool checkpoint (checkpoints chain
//! backwards). Events are size-prefixed records whose fields follow their
//! type's field list. The whole file may be gzipped.

mod chunk;
mod constant_pool;
mod events;
mod kinds;
mod metadata;
mod output;
mod reader;
mod resolve;
mod symbols;
mod to_profile;
mod value;

use rustc_hash::FxHashMap;

use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;

use chunk::ChunkHeader;
use constant_pool::Pools;
use kinds::EventType;
use reader::Reader;
use resolve::{Chunk, Stacks};
use to_profile::{Converter, EventContext};
use value::ValueReader;

const FORMAT: &str = "jfr";

/// The numeric sample label holding async-profiler's per-event context id
/// (pyroscope-java maps context ids to label sets sent alongside).
pub const CONTEXT_ID_LABEL: &str = "contextId";

/// Values decoded per input byte before decoding gives up: JDK recordings
/// decode fewer than one value per byte, so this only stops pathological
/// metadata (e.g. arrays of empty inline types), bounding time and memory.
const VALUES_PER_BYTE: u64 = 4;

/// One profile converted from a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct JfrProfile {
    /// The Pyroscope `__name__`: `process_cpu`, `wall`, `memory`, `mutex`
    /// or `block`. Several profiles may share a name (e.g. `memory` for
    /// in-TLAB and outside-TLAB allocations), as in Pyroscope.
    pub name: String,
    /// Frames are `class.method` with the class name as JFR stores it
    /// (`java/lang/Thread.run`); async-profiler's per-event context id is
    /// kept as the numeric label [`CONTEXT_ID_LABEL`].
    pub profile: Profile,
}

/// How to decode a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Largest accepted (decompressed) input in bytes.
    pub limit: usize,
    /// CPU and wall sampling rate in Hz (Pyroscope's `sampleRate`): each
    /// sample counts `1e9 / rate` nanoseconds. `None` uses the recording's
    /// own execution-sample period, or 100 Hz when it has none.
    pub sample_rate: Option<u32>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions { limit: MAX_DECOMPRESSED_BYTES, sample_rate: None }
    }
}

/// Decodes a JFR recording, gzipped or not, into one profile per kind of
/// event it holds.
pub fn decode(data: &[u8]) -> Result<Vec<JfrProfile>> {
    decode_with_options(data, &DecodeOptions::default())
}

/// Decodes a JFR recording with explicit options.
pub fn decode_with_options(data: &[u8], options: &DecodeOptions) -> Result<Vec<JfrProfile>> {
    let raw = maybe_gunzip(FORMAT, data, options.limit)?;
    let data = raw.as_ref();
    if data.is_empty() {
        return Err(Error::malformed(FORMAT, Position::Byte(0), "empty input"));
    }
    let mut converter = Converter::new(options.sample_rate);
    let mut budget = (data.len() as u64).saturating_mul(VALUES_PER_BYTE);
    let mut offset = 0;
    while offset < data.len() {
        let header = ChunkHeader::read(&data[offset..], offset)?;
        let chunk = Reader::new(&data[offset..offset + header.size], offset, header.compressed_ints);
        budget = read_chunk(&chunk, &header, budget, &mut converter)?;
        offset += header.size;
    }
    Ok(converter.finish())
}

/// Reads one chunk's metadata, pools and events into `converter`; returns
/// the value budget left.
fn read_chunk(chunk: &Reader<'_>, header: &ChunkHeader, budget: u64, converter: &mut Converter) -> Result<u64> {
    let mut r = chunk.clone();
    r.skip(header.metadata_offset, "metadata offset")?;
    let metadata = metadata::read(&mut r)?;
    let mut values = ValueReader::new(&metadata, budget);
    let pools = Pools::read(chunk, header, &mut values)?;
    let types: FxHashMap<u64, EventType> =
        metadata.classes.iter().filter_map(|(&id, class)| Some((id, EventType::from_name(&class.name)?))).collect();
    let view = Chunk::new(&metadata, &pools);
    let mut stacks = Stacks::new(&view);
    let execution_sample_type = metadata.id_of("jdk.ExecutionSample");
    converter.start_chunk(header.start_nanos, header.duration_nanos);
    events::for_each(
        chunk,
        &mut values,
        |ty| types.contains_key(&ty),
        |ty, fields| {
            let ev = EventContext {
                chunk: &view,
                object: (&fields, ty),
                ticks_per_second: header.ticks_per_second,
                execution_sample_type,
            };
            if let Some(&event_type) = types.get(&ty) {
                converter.event(&ev, &mut stacks, event_type);
            }
            Ok(())
        },
    )?;
    Ok(values.budget())
}
