//! Pyroscope's binary `tree` format: the `/ingest?format=tree` body and the
//! querier's `PROFILE_FORMAT_TREE` bytes. Pre-order depth first over a
//! virtual root; each node is `uvarint(len(name)) name uvarint(self)
//! uvarint(child_count)`; a stack is the names on the path, joined by `;`.

use crate::error::Result;
use crate::flamegraph::OTHER;
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;
use crate::tree::{NameId, Tree, ROOT};
use crate::truncate::{kept_children, Item};
use crate::varint::{put_uvarint, Reader};

const FORMAT: &str = "tree";

/// Decodes tree bytes (gzip allowed) into a call tree.
pub fn decode_tree(data: &[u8]) -> Result<Tree> {
    let raw = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let mut r = Reader::new(FORMAT, &raw);
    let mut tree = Tree::new();
    if raw.is_empty() {
        return Ok(tree);
    }
    // Each entry: children still to read under the node at this depth.
    let mut remaining: Vec<u64> = Vec::new();
    let mut path: Vec<NameId> = Vec::new();
    loop {
        let len = r.uvarint()?;
        let name = String::from_utf8_lossy(r.bytes(len)?).into_owned();
        let self_value = r.uvarint()?;
        let children = r.uvarint()?;
        let value = i64::try_from(self_value).map_err(|_| r.error("self value overflows i64"))?;
        // The virtual root's own value is dropped, as Pyroscope does.
        if !remaining.is_empty() {
            path.push(tree.name_id(&name));
            tree.insert_ids(&path, value);
        }
        if children > 0 {
            remaining.push(children);
            continue;
        }
        if !pop_finished(&mut remaining, &mut path) {
            break;
        }
    }
    if !r.at_end() {
        return Err(r.error("trailing bytes after the tree"));
    }
    Ok(tree)
}

/// After a leaf: climbs to the next node to read. False when the whole
/// tree has been read.
fn pop_finished(remaining: &mut Vec<u64>, path: &mut Vec<NameId>) -> bool {
    path.pop();
    loop {
        let Some(top) = remaining.last_mut() else { return false };
        *top -= 1;
        if *top > 0 {
            return true;
        }
        remaining.pop();
        if remaining.is_empty() {
            return false;
        }
        path.pop();
    }
}

/// Decodes tree bytes into a `samples/count` profile.
pub fn decode(data: &[u8]) -> Result<Profile> {
    Ok(decode_tree(data)?.to_profile(("samples", "count")))
}

/// Encodes a tree, folding children below the `max_nodes` cut into one
/// `other` child per parent, as Pyroscope's `MarshalTruncate` does
/// (`max_nodes < 1` keeps everything). Children are written in the order
/// Pyroscope's stack pops them: last name first.
pub fn encode(tree: &Tree, max_nodes: i64) -> Vec<u8> {
    let mut out = Vec::new();
    if tree.is_empty() {
        return out;
    }
    let min_value = tree.min_value(max_nodes);
    let mut pending: Vec<Item> = vec![Item::Real(ROOT, 0)];
    while let Some(item) = pending.pop() {
        let (name, self_value, kids) = match item {
            Item::Real(n, extra) => {
                let node = tree.node(n);
                let self_value = if n == ROOT { 0 } else { node.self_value.saturating_add(extra) };
                (tree.name(node.name), self_value, kept_children(tree, n, min_value))
            }
            Item::Other(v) => (OTHER, v, Vec::new()),
        };
        put_uvarint(&mut out, name.len() as u64);
        out.extend_from_slice(name.as_bytes());
        put_uvarint(&mut out, self_value.max(0) as u64);
        put_uvarint(&mut out, kids.len() as u64);
        pending.extend(kids);
    }
    out
}
