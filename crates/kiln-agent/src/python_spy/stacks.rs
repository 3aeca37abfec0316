//! Python stacks counted per (pid, thread, frames), and the profile built
//! from them: shaped like the native spy's (`samples/count`, `cpu/nanoseconds`,
//! `thread_name` and `pid` labels).

use kiln_model::{Label, Profile, ProfileBuilder, Sample};
use py_spy::StackTrace;
use rustc_hash::FxHashMap;

/// One Python frame: py-spy's function name, file name and current line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Frame {
    name: String,
    file: String,
    line: i32,
}

/// A distinct stack of one thread of one process; frames leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct StackKey {
    pid: u32,
    thread: u32,
    frames: Vec<u32>,
}

/// The stacks one spy thread counted, with frames and thread names interned.
#[derive(Debug, Default)]
pub struct Stacks {
    frames: Vec<Frame>,
    frame_ids: FxHashMap<Frame, u32>,
    threads: Vec<String>,
    thread_ids: FxHashMap<String, u32>,
    counts: FxHashMap<StackKey, u64>,
}

impl Stacks {
    /// Counts `samples` samples of `trace` (whose frames py-spy lists leaf first).
    pub fn record(&mut self, pid: u32, trace: StackTrace, samples: u64) {
        let thread = self.thread_id(thread_label(&trace));
        let frames = trace
            .frames
            .into_iter()
            .map(|f| self.frame_id(Frame { name: f.name, file: f.filename, line: f.line }))
            .collect();
        *self.counts.entry(StackKey { pid, thread, frames }).or_default() += samples;
    }

    fn frame_id(&mut self, frame: Frame) -> u32 {
        if let Some(&id) = self.frame_ids.get(&frame) {
            return id;
        }
        let id = self.frames.len() as u32;
        self.frames.push(frame.clone());
        self.frame_ids.insert(frame, id);
        id
    }

    fn thread_id(&mut self, label: String) -> u32 {
        if let Some(&id) = self.thread_ids.get(&label) {
            return id;
        }
        let id = self.threads.len() as u32;
        self.threads.push(label.clone());
        self.thread_ids.insert(label, id);
        id
    }
}

/// The thread's name (`MainThread`, `Thread-1 (work)`), else its OS thread id.
fn thread_label(trace: &StackTrace) -> String {
    match &trace.thread_name {
        Some(name) if !name.is_empty() => name.clone(),
        _ => trace.os_thread_id.unwrap_or(trace.thread_id).to_string(),
    }
}

/// Start time and length of a session, in nanoseconds since the epoch.
pub struct Span {
    pub start_nanos: i64,
    pub duration_nanos: i64,
}

/// Builds one profile from every spy thread's stacks; `period_nanos` is the
/// time one sample stands for.
pub fn build_profile(all: &[Stacks], period_nanos: i64, span: Span) -> Profile {
    let mut b =
        ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), period_nanos);
    b.set_time(span.start_nanos, span.duration_nanos);
    let thread_key = b.intern("thread_name");
    let pid_key = b.intern("pid");
    let mut locations: FxHashMap<(u32, i64), u64> = FxHashMap::default();
    let mut samples = Vec::new();
    for stacks in all {
        let locs: Vec<u64> = stacks.frames.iter().map(|f| location(&mut b, &mut locations, f)).collect();
        let threads: Vec<u32> = stacks.threads.iter().map(|t| b.intern(t)).collect();
        for (key, &count) in &stacks.counts {
            let count = count as i64;
            let labels = vec![
                Label { key: thread_key, str: threads[key.thread as usize], ..Default::default() },
                Label { key: pid_key, num: i64::from(key.pid), ..Default::default() },
            ];
            let stack = key.frames.iter().map(|&f| locs[f as usize]).collect();
            samples.push(Sample { locations: stack, values: vec![count, count.saturating_mul(period_nanos)], labels });
        }
    }
    samples.sort_by(|a, b| b.values[0].cmp(&a.values[0]).then_with(|| a.locations.cmp(&b.locations)));
    let mut profile = b.build();
    profile.samples = samples;
    profile
}

/// One location per (function, line), as pprof has it.
fn location(b: &mut ProfileBuilder, locations: &mut FxHashMap<(u32, i64), u64>, frame: &Frame) -> u64 {
    let function = b.function(&frame.name, &frame.file);
    let line = i64::from(frame.line);
    *locations.entry((function, line)).or_insert_with(|| b.function_location(function, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_model::Tree;

    fn trace(thread_name: Option<&str>, frames: &[(&str, i32)]) -> StackTrace {
        StackTrace {
            pid: 7,
            thread_id: 0x1234,
            thread_name: thread_name.map(str::to_owned),
            os_thread_id: Some(99),
            active: true,
            owns_gil: true,
            frames: frames
                .iter()
                .map(|&(name, line)| py_spy::Frame {
                    name: name.to_owned(),
                    filename: "/tmp/x.py".to_owned(),
                    module: None,
                    short_filename: None,
                    line,
                    locals: None,
                    is_entry: false,
                    is_shim_entry: false,
                })
                .collect(),
            process_info: None,
        }
    }

    #[test]
    fn stacks_become_root_first_paths_with_lines_labels_and_cpu_time() {
        let mut stacks = Stacks::default();
        for _ in 0..2 {
            stacks.record(7, trace(Some("MainThread"), &[("hot", 5), ("main", 9), ("<module>", 12)]), 1);
        }
        stacks.record(7, trace(Some("MainThread"), &[("hot", 5), ("main", 9), ("<module>", 12)]), 1);
        stacks.record(7, trace(None, &[("hot", 6), ("main", 9), ("<module>", 12)]), 1);
        let profile = build_profile(&[stacks], 10_000_000, Span { start_nanos: 1, duration_nanos: 2 });
        let tree = Tree::from_profile(&profile, 0);
        assert_eq!(tree.folded_map().get("<module>;main;hot"), Some(&4));
        let cpu = Tree::from_profile(&profile, 1);
        assert_eq!(cpu.folded_map().get("<module>;main;hot"), Some(&40_000_000));
        assert_eq!(profile.locations.len(), 4, "hot:5, hot:6, main:9, <module>:12");
        let top = &profile.samples[0];
        assert_eq!(top.values, vec![3, 30_000_000]);
        assert_eq!(profile.label_str(top, "thread_name"), Some("MainThread"));
        assert_eq!(profile.label_str(&profile.samples[1], "thread_name"), Some("99"));
        let hot = &profile.locations[top.locations[0] as usize].lines[0];
        assert_eq!((profile.str(profile.functions[hot.function as usize].filename), hot.line), ("/tmp/x.py", 5));
    }
}
