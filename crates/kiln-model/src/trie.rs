//! Pyroscope's transport `trie` format, what v0 agents sent to `/ingest`:
//! pre-order depth first, each node `uvarint(len(fragment)) fragment
//! uvarint(value) uvarint(child_count)`. A key is the concatenation of the
//! fragments on its path: a `;`-joined stack, root first; `value > 0` marks
//! the end of a stack.

use crate::builder::ProfileBuilder;
use crate::error::Result;
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;
use crate::tree::Tree;
use crate::varint::{put_uvarint, Reader};

const FORMAT: &str = "trie";

/// Decodes trie bytes (gzip allowed) into a `samples/count` profile.
pub fn decode(data: &[u8]) -> Result<Profile> {
    let raw = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let mut b = ProfileBuilder::new(&[("samples", "count")], ("cpu", "nanoseconds"), 0);
    let mut r = Reader::new(FORMAT, &raw);
    // (key length before this node, children still to read under it)
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut frames: Vec<String> = Vec::new();
    while !r.at_end() {
        let len = r.uvarint()?;
        let fragment = r.bytes(len)?;
        let value = r.uvarint()?;
        let children = r.uvarint()?;
        let base = key.len();
        key.extend_from_slice(fragment);
        if value > 0 {
            let v = i64::try_from(value).map_err(|_| r.error("value overflows i64"))?;
            frames.clear();
            frames.extend(String::from_utf8_lossy(&key).split(';').filter(|f| !f.is_empty()).map(str::to_owned));
            b.add_stack(&frames, &[v]);
        }
        open.push((base, children));
        close_finished(&mut open, &mut key);
        if open.is_empty() && !r.at_end() {
            return Err(r.error("trailing bytes after the trie"));
        }
    }
    if !open.is_empty() {
        return Err(r.error("unexpected end of input: the trie has unread children"));
    }
    Ok(b.build())
}

/// Pops every node whose children have all been read, restoring the key.
fn close_finished(open: &mut Vec<(usize, u64)>, key: &mut Vec<u8>) {
    while let Some(&(base, children)) = open.last() {
        if children > 0 {
            return;
        }
        open.pop();
        key.truncate(base);
        if let Some(parent) = open.last_mut() {
            parent.1 -= 1;
        }
    }
}

/// Encodes every stack of a tree as a trie (a radix tree over the
/// `;`-joined keys).
pub fn encode(tree: &Tree) -> Vec<u8> {
    let mut keys: Vec<(Vec<u8>, u64)> = Vec::new();
    tree.for_each_stack(|stack, v| {
        let names: Vec<&str> = stack.iter().map(|&n| tree.name(n)).collect();
        keys.push((names.join(";").into_bytes(), v.max(0) as u64));
    });
    keys.sort_unstable();
    // Frame names containing ';' can make two stacks share a key.
    keys.dedup_by(|b, a| {
        let same = a.0 == b.0;
        if same {
            a.1 = a.1.saturating_add(b.1);
        }
        same
    });
    encode_keys(&keys)
}

/// Writes a radix tree over sorted, distinct keys.
fn encode_keys(keys: &[(Vec<u8>, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    // (range of keys under the node, bytes consumed before it, its fragment end)
    let mut pending: Vec<(std::ops::Range<usize>, usize, usize)> = vec![(0..keys.len(), 0, 0)];
    while let Some((range, start, end)) = pending.pop() {
        let group = &keys[range.clone()];
        let fragment = group.first().map_or(&[][..], |k| &k.0[start..end]);
        put_uvarint(&mut out, fragment.len() as u64);
        out.extend_from_slice(fragment);
        let (own, rest_from) = match group.first() {
            Some((k, v)) if k.len() == end => (*v, range.start + 1),
            _ => (0, range.start),
        };
        put_uvarint(&mut out, own);
        let children = child_groups(keys, rest_from..range.end, end);
        put_uvarint(&mut out, children.len() as u64);
        pending.extend(children.into_iter().rev());
    }
    out
}

/// Splits keys (all longer than `start`) into groups by their byte at
/// `start`; each group's fragment runs to the group's common prefix.
fn child_groups(
    keys: &[(Vec<u8>, u64)],
    range: std::ops::Range<usize>,
    start: usize,
) -> Vec<(std::ops::Range<usize>, usize, usize)> {
    let mut groups = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let first = &keys[i].0;
        let mut j = i + 1;
        while j < range.end && keys[j].0[start] == first[start] {
            j += 1;
        }
        let last = &keys[j - 1].0;
        let common = first[start..].iter().zip(&last[start..]).take_while(|(a, b)| a == b).count();
        groups.push((i..j, start, start + common));
        i = j;
    }
    groups
}
