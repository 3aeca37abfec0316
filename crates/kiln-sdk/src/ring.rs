//! The lock-free ring between the signal handler (many writers, one per
//! interrupted thread) and the collector thread (one reader). Every slot is
//! allocated up front; a writer claims a free slot with one compare-and-swap
//! and publishes it with one store, so the handler neither allocates nor
//! locks. When the reader falls behind, samples are dropped and counted.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// The deepest stack recorded; deeper ones keep their leaf-most frames.
pub const MAX_DEPTH: usize = 128;
const SLOTS: usize = 1024;

const FREE: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;

/// One sample: the thread's tag-set id and its frame addresses, leaf first.
/// `pcs[0]` is the interrupted instruction, the others return addresses.
pub struct StackRecord {
    pub tag_set: u32,
    pub depth: u32,
    pub pcs: [u64; MAX_DEPTH],
}

struct Slot {
    state: AtomicU8,
    record: UnsafeCell<StackRecord>,
}

pub struct Ring {
    slots: Box<[Slot]>,
    next: AtomicU64,
    pub dropped: AtomicU64,
}

// SAFETY: a slot's record is only touched by the one party that moved its
// state (writer: FREE -> WRITING -> READY, reader: READY -> FREE), with
// acquire/release ordering on the state.
unsafe impl Sync for Ring {}

impl Ring {
    pub fn new() -> Ring {
        let slot = || Slot {
            state: AtomicU8::new(FREE),
            record: UnsafeCell::new(StackRecord { tag_set: 0, depth: 0, pcs: [0; MAX_DEPTH] }),
        };
        Ring { slots: (0..SLOTS).map(|_| slot()).collect(), next: AtomicU64::new(0), dropped: AtomicU64::new(0) }
    }

    /// Claims a slot, lets `fill` write the record, publishes it. Returns
    /// false (and counts a drop) when the slot is still unread.
    /// Async-signal-safe: atomics only.
    pub fn push(&self, fill: impl FnOnce(&mut StackRecord)) -> bool {
        let index = (self.next.fetch_add(1, Ordering::Relaxed) % SLOTS as u64) as usize;
        let slot = &self.slots[index];
        if slot.state.compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // SAFETY: this writer moved the slot to WRITING, so it owns the record.
        fill(unsafe { &mut *slot.record.get() });
        slot.state.store(READY, Ordering::Release);
        true
    }

    /// Hands every published record to `take` and frees its slot.
    pub fn drain(&self, mut take: impl FnMut(&StackRecord)) {
        for slot in self.slots.iter() {
            if slot.state.load(Ordering::Acquire) == READY {
                // SAFETY: READY slots are only written again after the reader frees them.
                take(unsafe { &*slot.record.get() });
                slot.state.store(FREE, Ordering::Release);
            }
        }
    }
}
