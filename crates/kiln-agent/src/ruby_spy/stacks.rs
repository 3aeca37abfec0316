//! Counts identical Ruby stacks and turns them into a profile shaped like
//! the native one: `samples/count` and `cpu/nanoseconds`, labelled with the
//! Ruby thread and the process.
//!
//! Frames are named as rbspy (and so Pyroscope's Ruby SDK) names them:
//! `Object#hot`, `block in Object#work`, `<main>`, `Integer#times [c function]`;
//! the file is the script's path (absolute when rbspy knows it, empty for C
//! functions) and the location's line is the line the frame is executing.

use kiln_model::{Label, Profile, ProfileBuilder};
use rbspy::{StackFrame, StackTrace};
use rustc_hash::FxHashMap;

/// The file rbspy gives C functions.
const UNKNOWN_FILE: &str = "(unknown)";

/// One stack as it was sampled.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StackKey {
    pid: u32,
    /// The Ruby thread's native thread id, as rbspy reads it.
    thread: Option<u64>,
    /// Indices into `Stacks::frames`, leaf first.
    frames: Vec<u32>,
}

/// Interned frames and stack counts.
#[derive(Default)]
pub(super) struct Stacks {
    frames: Vec<StackFrame>,
    frame_ids: FxHashMap<StackFrame, u32>,
    counts: FxHashMap<StackKey, u64>,
}

impl Stacks {
    /// Counts one sampled stack `samples` times (rbspy gives frames leaf first).
    pub fn add(&mut self, trace: &StackTrace, samples: u64) {
        let frames = trace.trace.iter().map(|f| self.intern(f)).collect();
        let key =
            StackKey { pid: trace.pid.map_or(0, |p| p as u32), thread: trace.thread_id.map(|t| t as u64), frames };
        *self.counts.entry(key).or_insert(0) += samples;
    }

    /// Whether no stack was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    fn intern(&mut self, frame: &StackFrame) -> u32 {
        if let Some(&id) = self.frame_ids.get(frame) {
            return id;
        }
        let id = self.frames.len() as u32;
        self.frames.push(frame.clone());
        self.frame_ids.insert(frame.clone(), id);
        id
    }

    /// The profile; one sample stands for `period_nanos` of CPU time.
    pub fn profile(&self, period_nanos: i64, start_nanos: i64, duration_nanos: i64) -> Profile {
        let mut b =
            ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds"), period_nanos);
        b.set_time(start_nanos, duration_nanos);
        let locations: Vec<u64> = self.frames.iter().map(|f| location(&mut b, f)).collect();
        let thread_key = b.intern("thread_id");
        let pid_key = b.intern("pid");
        let mut stacks: Vec<_> = self.counts.iter().collect();
        stacks.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        for (key, &count) in stacks {
            let count = count as i64;
            let mut labels = vec![Label { key: pid_key, num: i64::from(key.pid), ..Default::default() }];
            if let Some(thread) = key.thread {
                labels.insert(0, Label { key: thread_key, num: thread as i64, ..Default::default() });
            }
            let stack = key.frames.iter().map(|&f| locations[f as usize]).collect();
            b.add_sample(stack, &[count, count.saturating_mul(period_nanos)], labels);
        }
        b.build()
    }
}

/// The location of one frame: its function (name and file) at its line.
fn location(b: &mut ProfileBuilder, frame: &StackFrame) -> u64 {
    let file = match frame.path() {
        UNKNOWN_FILE => "",
        path => path,
    };
    let function = b.function(&frame.name, file);
    b.function_location(function, frame.lineno.map_or(0, |l| l as i64))
}
