//! The `lines` ingest format: one `;`-joined stack per line, root first;
//! identical lines are counted (Pyroscope's `ParseIndividualLines`).

use crate::builder::ProfileBuilder;
use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;

const FORMAT: &str = "lines";

/// Decodes `lines` text (gzip allowed) into a `samples/count` profile.
pub fn decode(data: &[u8]) -> Result<Profile> {
    let text = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("cpu", "nanoseconds"), 0);
    let mut frames: Vec<&str> = Vec::with_capacity(64);
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| Error::malformed(FORMAT, Position::Line(i as u64 + 1), "not valid UTF-8"))?;
        frames.clear();
        frames.extend(line.split(';').filter(|f| !f.is_empty()));
        b.add_stack(&frames, &[1]);
    }
    Ok(b.build())
}
