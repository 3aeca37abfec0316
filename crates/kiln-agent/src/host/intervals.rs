//! The whole host's interval cut, in the reader thread after a drain once
//! an interval has passed: it takes the stacks counted since the last cut
//! and what is new in the frame table, and hands them to the symbolizer
//! thread (`symbolizer.rs`), so the rings keep being drained while the
//! new frames' binaries are parsed.

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustc_hash::FxHashMap;

use super::symbolizer::Cut;
use crate::collector::Collector;
use crate::profile_out::Span;

/// Above this many distinct frames the table starts over (a JIT's ever
/// new addresses must not grow the agent without bound).
const MAX_FRAMES: usize = 1 << 20;

/// The reader side of the cuts.
pub struct Intervals {
    interval: Duration,
    last: Instant,
    last_wall: SystemTime,
    /// Frames and thread names already sent.
    sent_frames: usize,
    sent_names: usize,
    restart_frames: bool,
    cuts: Sender<Cut>,
}

impl Intervals {
    pub fn new(interval: Duration, cuts: Sender<Cut>) -> Intervals {
        Intervals {
            interval,
            last: Instant::now(),
            last_wall: SystemTime::now(),
            sent_frames: 0,
            sent_names: 0,
            restart_frames: false,
            cuts,
        }
    }

    /// Cuts an interval when one has passed, or when stopping.
    pub fn after_drain(&mut self, collector: &mut Collector, stopping: bool) {
        if !stopping && self.last.elapsed() < self.interval {
            return;
        }
        let stacks = collector.take_stacks();
        let start_nanos = self.last_wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64);
        let span = Span { start_nanos, duration_nanos: self.last.elapsed().as_nanos() as i64 };
        self.last = Instant::now();
        self.last_wall = SystemTime::now();
        let collected = collector.collected();
        let mut infos = FxHashMap::default();
        for key in stacks.keys() {
            if let Some(info) = collector.info(key.pid) {
                infos.entry(key.pid).or_insert_with(|| info.clone());
            }
        }
        let cut = Cut {
            stacks,
            objects: collected.objects.snapshot(),
            restart_frames: std::mem::take(&mut self.restart_frames),
            fresh_frames: collected.frames[self.sent_frames..].to_vec(),
            fresh_names: collected.thread_names[self.sent_names..].to_vec(),
            infos,
            span,
        };
        self.sent_frames = collected.frames.len();
        self.sent_names = collected.thread_names.len();
        // The receiver is gone only when the symbolizer thread panicked.
        let _ = self.cuts.send(cut);
        collector.forget_exited();
        if collector.collected().frames.len() > MAX_FRAMES {
            collector.forget_frames();
            self.sent_frames = 0;
            self.restart_frames = true;
        }
    }
}
