//! Names of code addresses, resolved on the collector thread through the
//! `backtrace` crate (DWARF line tables for inlined frames when the binary
//! has them, else the symbol table), cached per address.

use rustc_hash::FxHashMap;

/// One function of a location, innermost (inlined) first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub function: String,
    pub file: String,
    pub line: i64,
}

#[derive(Default)]
pub struct Symbolizer {
    cache: FxHashMap<(u64, bool), Vec<Frame>>,
}

impl Symbolizer {
    /// The frames at `address`. A return address (`leaf == false`) names
    /// its call instruction: `backtrace` looks up `address - 1`, so a leaf's
    /// program counter is passed as `address + 1`.
    pub fn frames(&mut self, address: u64, leaf: bool) -> &[Frame] {
        self.cache.entry((address, leaf)).or_insert_with(|| {
            let lookup = if leaf { address + 1 } else { address };
            let mut frames = Vec::new();
            backtrace::resolve(lookup as *mut std::ffi::c_void, |symbol| {
                let function = symbol.name().map(|n| format!("{n:#}")).unwrap_or_default();
                let file = symbol.filename().map(|f| f.display().to_string()).unwrap_or_default();
                let line = symbol.lineno().map_or(0, i64::from);
                frames.push(Frame { function, file, line });
            });
            frames.retain(|f| !f.function.is_empty());
            if frames.is_empty() {
                frames.push(Frame { function: format!("{address:#x}"), file: String::new(), line: 0 });
            }
            frames
        })
    }
}
