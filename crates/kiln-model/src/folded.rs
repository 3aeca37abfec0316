//! Folded ("collapsed") stacks: `frame1;frame2;...;frameN <count>` per line,
//! root first, the count after the last space (Pyroscope's `ParseGroups`,
//! Brendan Gregg's `stackcollapse` output).

use crate::builder::ProfileBuilder;
use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;
use crate::tree::Tree;

const FORMAT: &str = "folded";

/// Decodes folded text (gzip allowed) into a `samples/count` profile;
/// identical stacks are summed.
pub fn decode(data: &[u8]) -> Result<Profile> {
    let text = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("cpu", "nanoseconds"), 0);
    let mut frames: Vec<&str> = Vec::with_capacity(64);
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        let line = trim_cr(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (stack, count) = split_line(line, i as u64 + 1)?;
        frames.clear();
        frames.extend(stack.split(';').filter(|f| !f.is_empty()));
        if count != 0 {
            b.add_stack(&frames, &[count]);
        }
    }
    Ok(b.build())
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn split_line(line: &[u8], line_no: u64) -> Result<(&str, i64)> {
    let bad = |m: &str| Error::malformed(FORMAT, Position::Line(line_no), m);
    let text = std::str::from_utf8(line).map_err(|_| bad("not valid UTF-8"))?.trim_end();
    let space = text.rfind(' ').ok_or_else(|| bad("expected `stack count`, found no space before a count"))?;
    let count: i64 = text[space + 1..].parse().map_err(|_| bad("the count after the last space is not an integer"))?;
    if count < 0 {
        return Err(bad("negative count"));
    }
    Ok((&text[..space], count))
}

/// Encodes a tree as folded text, one line per stack with a self value,
/// in depth-first name order.
pub fn encode_tree(tree: &Tree) -> String {
    let mut out = String::new();
    tree.for_each_stack(|stack, value| {
        for (i, &n) in stack.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(tree.name(n));
        }
        out.push(' ');
        out.push_str(&value.to_string());
        out.push('\n');
    });
    out
}

/// Encodes one sample type of a profile as folded text.
pub fn encode(profile: &Profile, sample_type: usize) -> String {
    encode_tree(&Tree::from_profile(profile, sample_type))
}
