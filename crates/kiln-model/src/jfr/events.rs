//! The event stream of a chunk: size-prefixed events from just after the
//! header to the chunk's end. Metadata and checkpoint events are read
//! elsewhere; events of types the caller does not want are skipped by size.

use crate::error::Result;

use super::chunk::HEADER_SIZE;
use super::constant_pool::CHECKPOINT_EVENT;
use super::metadata::METADATA_EVENT;
use super::reader::Reader;
use super::value::{Value, ValueReader};

/// Calls `f(type_id, fields)` for each event whose type `wanted` accepts,
/// in file order. `chunk` is a reader over the whole chunk.
pub(crate) fn for_each(
    chunk: &Reader<'_>,
    values: &mut ValueReader<'_>,
    wanted: impl Fn(u64) -> bool,
    mut f: impl FnMut(u64, Vec<Value>) -> Result<()>,
) -> Result<()> {
    let mut r = chunk.clone();
    r.skip(HEADER_SIZE, "chunk header")?;
    while r.remaining() > 0 {
        let mut ev = r.event()?;
        let type_id = ev.long("event type")? as u64;
        if type_id == METADATA_EVENT || type_id == CHECKPOINT_EVENT || !wanted(type_id) {
            continue;
        }
        f(type_id, values.fields(&mut ev, type_id, 0)?)?;
    }
    Ok(())
}
