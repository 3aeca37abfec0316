//! One profile being built from events: frames become locations (one per
//! method and line, named `class.method`), and samples with the same stack
//! and context id are summed.

use rustc_hash::FxHashMap;

use crate::builder::ProfileBuilder;
use crate::profile::{Label, Profile};

use super::kinds::Kind;
use super::resolve::Frame;
use super::CONTEXT_ID_LABEL;

/// Samples of one [`Kind`] and the symbols they use.
pub(crate) struct Output {
    kind: Kind,
    builder: ProfileBuilder,
    /// (function, line) -> location.
    locations: FxHashMap<(u32, i64), u64>,
    /// Distinct leaf-first location lists.
    stacks: Vec<Vec<u64>>,
    stack_ids: FxHashMap<Vec<u64>, usize>,
    /// The current chunk's stack-trace keys -> index into `stacks`.
    chunk_stacks: FxHashMap<u64, usize>,
    /// The current chunk's method keys -> function.
    chunk_functions: FxHashMap<u64, u32>,
    /// (stack, context id, summed values).
    samples: Vec<(usize, i64, [i64; 2])>,
    index: FxHashMap<(usize, i64), usize>,
}

impl Output {
    pub(crate) fn new(kind: Kind) -> Self {
        Output {
            kind,
            builder: ProfileBuilder::new(kind.sample_types(), kind.period_type(), 0),
            locations: FxHashMap::default(),
            stacks: Vec::new(),
            stack_ids: FxHashMap::default(),
            chunk_stacks: FxHashMap::default(),
            chunk_functions: FxHashMap::default(),
            samples: Vec::new(),
            index: FxHashMap::default(),
        }
    }

    /// Forgets the previous chunk's stack-trace keys.
    pub(crate) fn start_chunk(&mut self) {
        self.chunk_stacks.clear();
        self.chunk_functions.clear();
    }

    /// Adds one event's values for the stack trace with this chunk-local
    /// key and these leaf-first frames; `context` 0 means no context id.
    pub(crate) fn add(&mut self, stack_key: u64, frames: &[Frame], context: i64, values: [i64; 2]) {
        let stack = match self.chunk_stacks.get(&stack_key) {
            Some(&stack) => stack,
            None => {
                let stack = self.stack(frames);
                self.chunk_stacks.insert(stack_key, stack);
                stack
            }
        };
        match self.index.get(&(stack, context)) {
            Some(&i) => {
                let sum = &mut self.samples[i].2;
                sum[0] = sum[0].saturating_add(values[0]);
                sum[1] = sum[1].saturating_add(values[1]);
            }
            None => {
                self.index.insert((stack, context), self.samples.len());
                self.samples.push((stack, context, values));
            }
        }
    }

    /// The index of the location list of these frames.
    fn stack(&mut self, frames: &[Frame]) -> usize {
        let mut locations = Vec::with_capacity(frames.len());
        for frame in frames {
            let builder = &mut self.builder;
            let function =
                *self.chunk_functions.entry(frame.method).or_insert_with(|| builder.function(&frame.name, ""));
            let loc = *self
                .locations
                .entry((function, frame.line))
                .or_insert_with(|| builder.function_location(function, frame.line));
            locations.push(loc);
        }
        let next = self.stacks.len();
        let id = *self.stack_ids.entry(locations.clone()).or_insert(next);
        if id == next {
            self.stacks.push(locations);
        }
        id
    }

    /// The finished profile; sampled-time kinds get their sample counts
    /// multiplied by `period` nanoseconds.
    pub(crate) fn build(mut self, period: i64, time_nanos: i64, duration_nanos: i64) -> Profile {
        let n_values = self.kind.sample_types().len();
        let sampled_time = self.kind.is_sampled_time();
        for (stack, context, mut values) in std::mem::take(&mut self.samples) {
            let locations = self.stacks[stack].clone();
            if sampled_time {
                values[0] = values[0].saturating_mul(period);
            }
            let mut labels = Vec::new();
            if context != 0 {
                labels.push(Label { key: self.builder.intern(CONTEXT_ID_LABEL), num: context, ..Label::default() });
            }
            self.builder.add_sample(locations, &values[..n_values], labels);
        }
        self.builder.set_time(time_nanos, duration_nanos);
        let mut profile = self.builder.build();
        if sampled_time {
            profile.period = period;
        }
        profile
    }
}
