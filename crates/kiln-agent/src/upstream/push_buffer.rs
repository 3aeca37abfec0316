//! The bounded queue of encoded profiles waiting to be pushed: at most
//! `max_profiles` of them and `max_bytes` in all, the one being sent
//! included. When a new profile does not fit, the oldest make room and are
//! counted as dropped, so memory never grows with an outage's length.

use std::collections::VecDeque;

use bytes::Bytes;

/// The bounds of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    /// Profiles waiting, at most (at least one is always kept).
    pub max_profiles: usize,
    /// Bytes of encoded requests waiting, at most (a single larger profile is still kept).
    pub max_bytes: usize,
}

/// Profiles waiting, oldest first, each with its sequence number.
#[derive(Debug)]
pub struct PushBuffer {
    limits: BufferLimits,
    items: VecDeque<(u64, Bytes)>,
    bytes: usize,
    next: u64,
    /// Profiles dropped so far: evicted by newer ones, refused, or left at the end.
    pub dropped: u64,
    /// Profiles the server accepted.
    pub pushed: u64,
}

impl PushBuffer {
    pub fn new(limits: BufferLimits) -> PushBuffer {
        PushBuffer { limits, items: VecDeque::new(), bytes: 0, next: 0, dropped: 0, pushed: 0 }
    }

    /// Queues a profile, dropping the oldest while the bounds are exceeded;
    /// returns how many were dropped.
    pub fn push(&mut self, body: Bytes) -> u64 {
        self.bytes += body.len();
        self.items.push_back((self.next, body));
        self.next += 1;
        let mut dropped = 0;
        while self.items.len() > 1
            && (self.items.len() > self.limits.max_profiles.max(1) || self.bytes > self.limits.max_bytes)
        {
            self.pop_front();
            dropped += 1;
        }
        self.dropped += dropped;
        dropped
    }

    /// The oldest profile, left in the queue (it still counts against the
    /// bounds while it is sent).
    pub fn front(&self) -> Option<(u64, Bytes)> {
        self.items.front().cloned()
    }

    /// Marks profile `seq` as sent (`accepted`) or refused; nothing happens if
    /// it was dropped meanwhile.
    pub fn settle(&mut self, seq: u64, accepted: bool) {
        if self.items.front().is_some_and(|(s, _)| *s == seq) {
            self.pop_front();
            if accepted {
                self.pushed += 1;
            } else {
                self.dropped += 1;
            }
        }
    }

    /// Drops everything left; returns how many.
    pub fn abandon(&mut self) -> u64 {
        let left = self.items.len() as u64;
        self.items.clear();
        self.bytes = 0;
        self.dropped += left;
        left
    }

    fn pop_front(&mut self) {
        if let Some((_, body)) = self.items.pop_front() {
            self.bytes -= body.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(len: usize) -> Bytes {
        Bytes::from(vec![0u8; len])
    }

    #[test]
    fn the_oldest_profiles_make_room_when_the_count_is_reached() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 2, max_bytes: 1 << 20 });
        assert_eq!(buffer.push(body(10)), 0);
        assert_eq!(buffer.push(body(10)), 0);
        assert_eq!(buffer.push(body(10)), 1);
        assert_eq!((buffer.front().unwrap().0, buffer.dropped), (1, 1));
    }

    #[test]
    fn the_byte_bound_drops_old_profiles_but_keeps_one_too_large_alone() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 100, max_bytes: 25 });
        buffer.push(body(10));
        buffer.push(body(10));
        assert_eq!(buffer.push(body(10)), 1, "30 bytes > 25");
        assert_eq!(buffer.push(body(50)), 2, "only the newest is left");
        assert_eq!(buffer.front().unwrap().1.len(), 50);
    }

    #[test]
    fn settling_a_profile_dropped_while_in_flight_removes_nothing_else() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 1, max_bytes: 1 << 20 });
        buffer.push(body(1));
        let (in_flight, _) = buffer.front().unwrap();
        buffer.push(body(2));
        buffer.settle(in_flight, true);
        assert_eq!((buffer.pushed, buffer.dropped, buffer.front().unwrap().1.len()), (0, 1, 2));
        let (seq, _) = buffer.front().unwrap();
        buffer.settle(seq, true);
        assert_eq!((buffer.pushed, buffer.front().is_none()), (1, true));
    }
}
