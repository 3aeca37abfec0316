//! Assembles the collected, symbolized stacks into a [`kiln_model::Profile`]
//! shaped like a Go CPU profile: `samples/count` and `cpu/nanoseconds`, one
//! `cpu` period per sample.

use kiln_model::{Label, Line, Location, Mapping, Profile, ProfileBuilder, Sample};

use crate::collector::Collected;
use crate::objects::ObjectId;
use crate::symbolize::{symbolize, SymbolFrame};

/// Start time and length of a session, in nanoseconds since the epoch.
pub struct Span {
    pub start_nanos: i64,
    pub duration_nanos: i64,
}

/// Builds the profile; `period_nanos` is the CPU time one sample stands for.
pub fn build_profile(collected: &Collected, period_nanos: i64, span: Span) -> Profile {
    let symbols = symbolize(&collected.objects, &collected.frames);
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), period_nanos);
    b.set_time(span.start_nanos, span.duration_nanos);
    let lines: Vec<Vec<Line>> = symbols.iter().map(|frames| function_lines(&mut b, frames)).collect();
    let mapping_names: Vec<(ObjectId, u32)> =
        collected.objects.iter().map(|(id, entry)| (id, b.intern(&entry.path))).collect();
    let thread_key = b.intern("thread_name");
    let pid_key = b.intern("pid");
    let thread_names: Vec<u32> = collected.thread_names.iter().map(|n| b.intern(n)).collect();
    let mut profile = b.build();
    for &(_, filename) in &mapping_names {
        let mapping = Mapping { filename, has_functions: true, ..Default::default() };
        profile.mappings.push(mapping);
    }
    for (i, &(object, address)) in collected.frames.iter().enumerate() {
        let mapping = collected.objects.get(object).map(|_| object);
        profile.locations.push(Location { mapping, address, lines: lines[i].clone(), is_folded: false });
    }
    let mut stacks: Vec<_> = collected.stacks.iter().collect();
    stacks.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.frames.cmp(&b.0.frames)));
    for (key, &count) in stacks {
        let count = count as i64;
        let labels = vec![
            Label {
                key: thread_key,
                str: thread_names.get(key.thread as usize).copied().unwrap_or(0),
                ..Default::default()
            },
            Label { key: pid_key, num: i64::from(key.pid), ..Default::default() },
        ];
        let locations = key.frames.iter().map(|&f| u64::from(f)).collect();
        profile.samples.push(Sample { locations, values: vec![count, count.saturating_mul(period_nanos)], labels });
    }
    profile
}

/// Interns a frame's functions; innermost (inlined) first, as pprof wants.
fn function_lines(b: &mut ProfileBuilder, frames: &[SymbolFrame]) -> Vec<Line> {
    frames.iter().map(|f| Line { function: b.function(&f.name, &f.file), line: i64::from(f.line), column: 0 }).collect()
}
