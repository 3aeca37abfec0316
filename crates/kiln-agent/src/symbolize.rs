//! Names for the unique frames of a session, by blazesym, each object
//! loaded once. A frame's function is named as `perf report` names it: by
//! the symbol table (`.symtab`, else `.dynsym`) of the binary's debug file
//! when it has one (`debug_file.rs`), else of the binary, demangled, perf's
//! choice among aliases. Its inlined callees and source lines come from
//! DWARF: `debug = "line-tables-only"` gives the outer function only its
//! short name (`child`, no path), so the symbol table names it instead.
//! JIT code is named from its process's perf map, kernel code from
//! `/proc/kallsyms` when the kernel shows it; anything else is
//! `file+0xoffset`. [`Symbols`] keeps its parsed files between calls, for
//! the whole-host profiler that names new frames every interval.

use std::path::Path;

use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{CodeInfo, Input, Sym, Symbolized, Symbolizer};

use crate::debug_file::DebugFiles;
use crate::kallsyms::Kallsyms;
use crate::objects::{ObjectId, Objects, KERNEL};
use crate::perf_map::PerfMap;
use crate::symbol_alias::perf_names;

/// One function frame of an address; several when calls were inlined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFrame {
    pub name: String,
    pub file: String,
    pub line: u32,
}

/// The frames of each input address, innermost first, never empty.
pub fn symbolize(objects: &Objects, frames: &[(ObjectId, u64)]) -> Vec<Vec<SymbolFrame>> {
    Symbols::default().symbolize(objects, frames)
}

/// A symbolizer that keeps what it parsed (ELF and DWARF per file, the
/// kernel's symbols) for later calls.
pub struct Symbols {
    symbolizer: Symbolizer,
    /// Whether DWARF is read for inlined frames and lines.
    dwarf: bool,
    debug_files: DebugFiles,
    /// Read on the first kernel frame; `None` inside when hidden.
    kernel: Option<Option<Kallsyms>>,
}

impl Default for Symbols {
    fn default() -> Symbols {
        let symbolizer = Symbolizer::builder().enable_code_info(true).enable_inlined_fns(true).build();
        Symbols { symbolizer, dwarf: true, debug_files: DebugFiles::from_env(), kernel: None }
    }
}

impl Symbols {
    /// Names from symbol tables only, as `perf report` names functions by
    /// default: no inlined frames or lines, and no DWARF parsed (the cost
    /// of a whole host full of large binaries).
    pub fn symbol_tables_only() -> Symbols {
        let symbolizer = Symbolizer::builder().enable_code_info(false).enable_inlined_fns(false).build();
        Symbols { symbolizer, dwarf: false, debug_files: DebugFiles::from_env(), kernel: None }
    }

    /// The frames of each input address, innermost first, never empty.
    pub fn symbolize(&mut self, objects: &Objects, frames: &[(ObjectId, u64)]) -> Vec<Vec<SymbolFrame>> {
        let mut out: Vec<Vec<SymbolFrame>> =
            frames.iter().map(|&(object, address)| fallback(objects, object, address)).collect();
        if frames.iter().any(|&(object, address)| object == KERNEL && address != 0) {
            let kernel = self.kernel.get_or_insert_with(Kallsyms::load).as_ref();
            for (slot, &(object, address)) in out.iter_mut().zip(frames) {
                if let Some(name) = kernel.filter(|_| object == KERNEL).and_then(|k| k.find(address)) {
                    *slot = vec![SymbolFrame { name: name.to_owned(), file: String::new(), line: 0 }];
                }
            }
        }
        for (object, indices) in by_object(objects, frames) {
            let Some(entry) = objects.get(object) else { continue };
            let addresses: Vec<u64> = indices.iter().map(|&i| frames[i].1).collect();
            let found = match entry.elf_path() {
                Some(path) => {
                    let debug_file = self.debug_files.find(path);
                    elf_frames(&self.symbolizer, self.dwarf, debug_file.as_deref().unwrap_or(path), &addresses)
                }
                None => perf_map_frames(&entry.path, &addresses),
            };
            for (i, symbol) in indices.into_iter().zip(found) {
                if let Some(symbol) = symbol {
                    out[i] = symbol;
                }
            }
        }
        out
    }
}

/// The indices of `frames` grouped by their (real) object.
fn by_object(objects: &Objects, frames: &[(ObjectId, u64)]) -> Vec<(ObjectId, Vec<usize>)> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, &(object, _)) in frames.iter().enumerate() {
        if objects.get(object).is_some() {
            let slot = object as usize;
            if groups.len() <= slot {
                groups.resize_with(slot + 1, Vec::new);
            }
            groups[slot].push(i);
        }
    }
    groups.into_iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(o, v)| (o as ObjectId, v)).collect()
}

/// Frames for stated addresses of one ELF file, read from `file`: the
/// binary, or its debug file (same addresses) when it has one, as perf
/// reads it. DWARF gives inlined callees and lines; the symbol table,
/// with perf's choice among aliases, names the function. Without `dwarf`,
/// the symbol table alone.
fn elf_frames(symbolizer: &Symbolizer, dwarf: bool, file: &Path, addresses: &[u64]) -> Vec<Option<Vec<SymbolFrame>>> {
    let debug = if dwarf { lookup(symbolizer, file, true, addresses) } else { Vec::new() };
    let table = lookup(symbolizer, file, false, addresses);
    let starts = table.iter().filter_map(sym_of).map(|s| s.addr).collect();
    let names = perf_names(file, &starts);
    (0..addresses.len())
        .map(|i| {
            let table = table.get(i).and_then(sym_of);
            let name = table.map(|t| names.get(&t.addr).map_or(t.name.as_ref(), String::as_str));
            match debug.get(i).and_then(sym_of) {
                Some(debug) => Some(frames_of(debug, name.unwrap_or(&debug.name))),
                None => table.zip(name).map(|(t, name)| frames_of(t, name)),
            }
        })
        .collect()
}

fn lookup<'a>(symbolizer: &'a Symbolizer, path: &Path, debug_syms: bool, addresses: &[u64]) -> Vec<Symbolized<'a>> {
    let mut elf = Elf::new(path);
    elf.debug_syms = debug_syms;
    symbolizer.symbolize(&Source::Elf(elf), Input::VirtOffset(addresses)).unwrap_or_default()
}

fn sym_of<'a, 'b>(symbolized: &'a Symbolized<'b>) -> Option<&'a Sym<'b>> {
    match symbolized {
        Symbolized::Sym(sym) => Some(sym),
        _ => None,
    }
}

/// Innermost first: the inlined callees (blazesym lists them outermost
/// first), then the function the address is in, named `outer`.
fn frames_of(sym: &Sym<'_>, outer: &str) -> Vec<SymbolFrame> {
    let inlined = sym.inlined.iter().rev().map(|f| frame(&f.name, f.code_info.as_ref()));
    inlined.chain(std::iter::once(frame(outer, sym.code_info.as_deref()))).collect()
}

fn frame(name: &str, code: Option<&CodeInfo<'_>>) -> SymbolFrame {
    let (file, line) = code.map(|c| (c.to_path().display().to_string(), c.line.unwrap_or(0))).unwrap_or_default();
    SymbolFrame { name: name.to_owned(), file, line }
}

/// Frames from a JIT's perf map (actual addresses).
fn perf_map_frames(path: &str, addresses: &[u64]) -> Vec<Option<Vec<SymbolFrame>>> {
    let map = PerfMap::parse(&std::fs::read_to_string(path).unwrap_or_default());
    let frame = |name: &str| vec![SymbolFrame { name: name.to_owned(), file: String::new(), line: 0 }];
    addresses.iter().map(|&a| map.find(a).map(frame)).collect()
}

/// The name of a frame no symbol covers: `[kernel]`, `[unknown]` or
/// `libfoo.so+0x1234`.
fn fallback(objects: &Objects, object: ObjectId, address: u64) -> Vec<SymbolFrame> {
    let name = match objects.get(object) {
        Some(entry) if entry.elf_path().is_none() => "[unknown]".to_owned(),
        Some(entry) => {
            let base = entry.path.rsplit('/').next().unwrap_or(&entry.path);
            format!("{base}+0x{address:x}")
        }
        None if object == KERNEL => "[kernel]".to_owned(),
        None => "[unknown]".to_owned(),
    };
    vec![SymbolFrame { name, file: String::new(), line: 0 }]
}
