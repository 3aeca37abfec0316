//! Assembles collected, symbolized stacks into a [`kiln_model::Profile`]
//! shaped like a Go CPU profile: `samples/count` and `cpu/nanoseconds`, one
//! `cpu` period per sample. Only the frames and files the chosen stacks use
//! go into the profile, so one process's profile cut from a whole host's
//! stacks carries none of the others' locations.

use kiln_model::{Label, Line, Location, Mapping, Profile, ProfileBuilder, Sample};
use rustc_hash::FxHashMap;

use crate::collector::{Collected, StackKey};
use crate::objects::{ObjectId, Objects};
use crate::symbolize::{symbolize, SymbolFrame};

/// Start time and length of a session, in nanoseconds since the epoch.
pub struct Span {
    pub start_nanos: i64,
    pub duration_nanos: i64,
}

/// What stacks refer to: the frames by id, their symbols, the thread names.
pub struct FrameTable<'a> {
    pub objects: &'a Objects,
    pub frames: &'a [(ObjectId, u64)],
    pub symbols: &'a [Vec<SymbolFrame>],
    pub thread_names: &'a [String],
}

/// Builds the profile of a whole session; `period_nanos` is the CPU time
/// one sample stands for.
pub fn build_profile(collected: &Collected, period_nanos: i64, span: Span) -> Profile {
    let symbols = symbolize(&collected.objects, &collected.frames);
    let table = FrameTable {
        objects: &collected.objects,
        frames: &collected.frames,
        symbols: &symbols,
        thread_names: &collected.thread_names,
    };
    let mut stacks: Vec<_> = collected.stacks.iter().map(|(k, &v)| (k, v)).collect();
    stacks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.frames.cmp(&b.0.frames)));
    assemble(&table, &stacks, period_nanos, span)
}

/// A profile of `stacks` (with their counts), each sample labelled with
/// its thread's name and its pid.
pub fn assemble(table: &FrameTable<'_>, stacks: &[(&StackKey, u64)], period_nanos: i64, span: Span) -> Profile {
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), period_nanos);
    b.set_time(span.start_nanos, span.duration_nanos);
    let thread_key = b.intern("thread_name");
    let pid_key = b.intern("pid");
    // Frame id -> location index, object id -> mapping index, by first use.
    let mut locations: FxHashMap<u32, u64> = FxHashMap::default();
    let mut mappings: FxHashMap<ObjectId, u32> = FxHashMap::default();
    let mut new_locations: Vec<Location> = Vec::new();
    let mut new_mappings: Vec<Mapping> = Vec::new();
    let mut samples = Vec::with_capacity(stacks.len());
    for &(key, count) in stacks {
        let mut sample_locations = Vec::with_capacity(key.frames.len());
        for &frame in key.frames.iter() {
            let next = new_locations.len() as u64;
            let index = *locations.entry(frame).or_insert_with(|| {
                let (object, address) = table.frames[frame as usize];
                let mapping = table.objects.get(object).map(|entry| {
                    let next = new_mappings.len() as u32;
                    *mappings.entry(object).or_insert_with(|| {
                        let filename = b.intern(&entry.path);
                        new_mappings.push(Mapping { filename, has_functions: true, ..Default::default() });
                        next
                    })
                });
                let lines = function_lines(&mut b, &table.symbols[frame as usize]);
                new_locations.push(Location { mapping, address, lines, is_folded: false });
                next
            });
            sample_locations.push(index);
        }
        let thread = table.thread_names.get(key.thread as usize).map_or("", String::as_str);
        let labels = vec![
            Label { key: thread_key, str: b.intern(thread), ..Default::default() },
            Label { key: pid_key, num: i64::from(key.pid), ..Default::default() },
        ];
        let count = count as i64;
        let values = vec![count, count.saturating_mul(period_nanos)];
        samples.push(Sample { locations: sample_locations, values, labels });
    }
    let mut profile = b.build();
    profile.mappings = new_mappings;
    profile.locations = new_locations;
    profile.samples = samples;
    profile
}

/// Interns a frame's functions; innermost (inlined) first, as pprof wants.
fn function_lines(b: &mut ProfileBuilder, frames: &[SymbolFrame]) -> Vec<Line> {
    frames.iter().map(|f| Line { function: b.function(&f.name, &f.file), line: i64::from(f.line), column: 0 }).collect()
}
