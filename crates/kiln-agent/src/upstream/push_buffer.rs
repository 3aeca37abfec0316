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

/// Profiles sent as one request: `count` from sequence number `first`.
#[derive(Debug, Clone)]
pub struct Batch {
    first: u64,
    pub count: u64,
    pub body: Bytes,
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

    /// The oldest profiles as one request, left in the queue (they still
    /// count against the bounds while they are sent): as many as fit in
    /// `max_count` and `max_bytes`, at least one. Encoded `PushRequest`s
    /// put end to end are one `PushRequest` holding all their series
    /// (protobuf appends repeated fields), so a backlog goes out in few
    /// round trips.
    pub fn front(&self, max_count: usize, max_bytes: usize) -> Option<Batch> {
        let (first, _) = self.items.front()?;
        let mut taken = 0;
        let mut bytes = 0;
        for (_, body) in self.items.iter().take(max_count.max(1)) {
            if taken > 0 && bytes + body.len() > max_bytes {
                break;
            }
            taken += 1;
            bytes += body.len();
        }
        let body = match taken {
            1 => self.items[0].1.clone(),
            _ => self.items.iter().take(taken).flat_map(|(_, b)| b.iter().copied()).collect::<Vec<u8>>().into(),
        };
        Some(Batch { first: *first, count: taken as u64, body })
    }

    /// Marks the profiles of `batch` as sent (`accepted`) or refused; those
    /// dropped meanwhile are not counted again.
    pub fn settle(&mut self, batch: &Batch, accepted: bool) {
        while self.items.front().is_some_and(|(s, _)| (batch.first..batch.first + batch.count).contains(s)) {
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
        assert_eq!((buffer.front(1, usize::MAX).unwrap().first, buffer.dropped), (1, 1));
    }

    #[test]
    fn the_byte_bound_drops_old_profiles_but_keeps_one_too_large_alone() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 100, max_bytes: 25 });
        buffer.push(body(10));
        buffer.push(body(10));
        assert_eq!(buffer.push(body(10)), 1, "30 bytes > 25");
        assert_eq!(buffer.push(body(50)), 2, "only the newest is left");
        assert_eq!(buffer.front(1, usize::MAX).unwrap().body.len(), 50);
    }

    #[test]
    fn settling_a_profile_dropped_while_in_flight_removes_nothing_else() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 1, max_bytes: 1 << 20 });
        buffer.push(body(1));
        let in_flight = buffer.front(1, usize::MAX).unwrap();
        buffer.push(body(2));
        buffer.settle(&in_flight, true);
        assert_eq!((buffer.pushed, buffer.dropped, buffer.front(1, usize::MAX).unwrap().body.len()), (0, 1, 2));
        let next = buffer.front(1, usize::MAX).unwrap();
        buffer.settle(&next, true);
        assert_eq!((buffer.pushed, buffer.front(1, usize::MAX).is_none()), (1, true));
    }

    #[test]
    fn a_backlog_goes_out_as_one_request_of_the_oldest_within_the_bounds() {
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 100, max_bytes: 1 << 20 });
        for n in 1..=5u8 {
            buffer.push(Bytes::from(vec![n; 10]));
        }
        let batch = buffer.front(3, usize::MAX).unwrap();
        assert_eq!(batch.body.len(), 30);
        assert_eq!((batch.body[0], batch.body[29]), (1, 3), "oldest first, end to end");
        assert_eq!(buffer.front(10, 25).unwrap().count, 2, "the byte bound holds");
        assert_eq!(buffer.front(10, 5).unwrap().count, 1, "one larger than the bound still goes");
        buffer.settle(&batch, false);
        assert_eq!((buffer.pushed, buffer.dropped), (0, 3));
        let rest = buffer.front(10, usize::MAX).unwrap();
        buffer.settle(&rest, true);
        assert_eq!((buffer.pushed, buffer.front(10, usize::MAX).is_none()), (2, true));
    }

    #[test]
    fn concatenated_push_requests_are_one_request_with_every_series() {
        use kiln_api::pb::push::{LabelPair, PushRequest, RawProfileSeries};
        use prost::Message;
        let request = |name: &str| {
            let labels = vec![LabelPair { name: "__name__".into(), value: name.into() }];
            PushRequest { series: vec![RawProfileSeries { labels, samples: vec![] }] }.encode_to_vec()
        };
        let mut buffer = PushBuffer::new(BufferLimits { max_profiles: 100, max_bytes: 1 << 20 });
        buffer.push(request("process_cpu").into());
        buffer.push(request("memory").into());
        let merged = PushRequest::decode(buffer.front(2, usize::MAX).unwrap().body).unwrap();
        let names: Vec<&str> = merged.series.iter().map(|s| s.labels[0].value.as_str()).collect();
        assert_eq!(names, ["process_cpu", "memory"]);
    }
}
