//! Names for the unique frames of a session: DWARF with inlined frames when
//! the file has debug information, else `.symtab`/`.dynsym`, demangled (Rust
//! and C++), else `file+0xoffset`. Each file is loaded once.

use std::borrow::Cow;

use crate::objects::{ObjectId, Objects, KERNEL};

/// One function frame of an address; several when calls were inlined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFrame {
    pub name: String,
    pub file: String,
    pub line: u32,
}

/// The frames of each input address, innermost first, never empty.
pub fn symbolize(objects: &Objects, frames: &[(ObjectId, u64)]) -> Vec<Vec<SymbolFrame>> {
    let mut out: Vec<Vec<SymbolFrame>> =
        frames.iter().map(|&(object, address)| fallback(objects, object, address)).collect();
    let mut by_object: Vec<Vec<usize>> = Vec::new();
    for (i, &(object, _)) in frames.iter().enumerate() {
        if objects.get(object).is_some() {
            let slot = object as usize;
            if by_object.len() <= slot {
                by_object.resize_with(slot + 1, Vec::new);
            }
            by_object[slot].push(i);
        }
    }
    for (object, entry) in objects.iter() {
        let Some(indices) = by_object.get(object as usize).filter(|v| !v.is_empty()) else { continue };
        let Ok(loader) = addr2line::Loader::new(&entry.path) else { continue };
        for &i in indices {
            if let Some(symbol) = lookup(&loader, frames[i].1) {
                out[i] = symbol;
            }
        }
    }
    out
}

/// DWARF frames (with inlining) or the symbol table's name for `address`.
fn lookup(loader: &addr2line::Loader, address: u64) -> Option<Vec<SymbolFrame>> {
    let mut found = Vec::new();
    if let Ok(mut iter) = loader.find_frames(address) {
        while let Ok(Some(frame)) = iter.next() {
            let Some(name) = frame.function.as_ref().and_then(|f| f.demangle().ok()) else { continue };
            let (file, line) = frame.location.map(|l| (l.file.unwrap_or(""), l.line.unwrap_or(0))).unwrap_or(("", 0));
            found.push(SymbolFrame { name: name.into_owned(), file: file.to_owned(), line });
        }
    }
    if !found.is_empty() {
        return Some(found);
    }
    let name = loader.find_symbol(address)?;
    let name = addr2line::demangle_auto(Cow::Borrowed(name), None).into_owned();
    Some(vec![SymbolFrame { name, file: String::new(), line: 0 }])
}

/// The name of a frame no symbol covers: `[kernel]`, `[unknown]` or
/// `libfoo.so+0x1234`.
fn fallback(objects: &Objects, object: ObjectId, address: u64) -> Vec<SymbolFrame> {
    let name = match objects.get(object) {
        Some(entry) => {
            let base = entry.path.rsplit('/').next().unwrap_or(&entry.path);
            format!("{base}+0x{address:x}")
        }
        None if object == KERNEL => "[kernel]".to_owned(),
        None => "[unknown]".to_owned(),
    };
    vec![SymbolFrame { name, file: String::new(), line: 0 }]
}
