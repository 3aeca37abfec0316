//! The whole host's symbolizer thread: for each interval cut it names the
//! frames first seen in it (each binary's symbol table, and DWARF when
//! asked, parsed once for the whole run, kept by blazesym), splits the
//! stacks by process and builds one profile per process.

use std::sync::mpsc::{Receiver, Sender};

use rustc_hash::FxHashMap;

use super::{ProcessInfo, ProcessProfile};
use crate::collector::StackKey;
use crate::objects::{ObjectId, Objects};
use crate::profile_out::{assemble, FrameTable, Span};
use crate::symbolize::{SymbolFrame, Symbols};

/// One interval, as the reader thread hands it over.
pub struct Cut {
    pub stacks: FxHashMap<StackKey, u64>,
    /// The objects known at the cut.
    pub objects: Objects,
    /// The frame table started over before `fresh_frames`.
    pub restart_frames: bool,
    /// Frames added to the table since the last cut.
    pub fresh_frames: Vec<(ObjectId, u64)>,
    /// Thread names added since the last cut.
    pub fresh_names: Vec<String>,
    /// The processes of `stacks`, as far as they were read.
    pub infos: FxHashMap<u32, ProcessInfo>,
    pub span: Span,
}

/// Turns cuts into per-process profiles until the reader hangs up; with
/// `dwarf`, frames get their inlined callees and lines.
pub fn run_symbolizer(cuts: Receiver<Cut>, batches: Sender<Vec<ProcessProfile>>, period_nanos: i64, dwarf: bool) {
    let mut symbols = if dwarf { Symbols::default() } else { Symbols::symbol_tables_only() };
    let mut frames: Vec<(ObjectId, u64)> = Vec::new();
    let mut named: Vec<Vec<SymbolFrame>> = Vec::new();
    let mut thread_names: Vec<String> = Vec::new();
    for cut in cuts {
        if cut.restart_frames {
            frames.clear();
            named.clear();
        }
        named.extend(symbols.symbolize(&cut.objects, &cut.fresh_frames));
        frames.extend(cut.fresh_frames);
        thread_names.extend(cut.fresh_names);
        let table = FrameTable { objects: &cut.objects, frames: &frames, symbols: &named, thread_names: &thread_names };
        let mut by_pid: FxHashMap<u32, Vec<(&StackKey, u64)>> = FxHashMap::default();
        for (key, &count) in &cut.stacks {
            by_pid.entry(key.pid).or_default().push((key, count));
        }
        let mut batch: Vec<ProcessProfile> = by_pid
            .into_iter()
            .map(|(pid, mut stacks)| {
                stacks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.frames.cmp(&b.0.frames)));
                let span = Span { start_nanos: cut.span.start_nanos, duration_nanos: cut.span.duration_nanos };
                let profile = assemble(&table, &stacks, period_nanos, span);
                let info = cut.infos.get(&pid).cloned().unwrap_or_else(|| {
                    // Gone before its first sample was read: its thread's name.
                    let name = thread_names.get(stacks[0].0.thread as usize).cloned().unwrap_or_default();
                    ProcessInfo { name, ..ProcessInfo::default() }
                });
                ProcessProfile { pid, info, profile }
            })
            .collect();
        batch.sort_by_key(|p| p.pid);
        if batches.send(batch).is_err() {
            return;
        }
    }
}
