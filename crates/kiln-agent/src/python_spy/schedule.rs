//! When to read the stacks: one tick per slot of a fixed grid
//! (`start + k * period`), at a random point inside its slot. The rate is
//! exact and does not drift with the time each read takes, and, unlike ticks
//! on the grid itself, they do not alias with a program whose loop has a
//! period near a multiple or divisor of ours (py-spy randomizes its
//! intervals for the same reason). Slots that ended while the spy could not
//! run are skipped; the CPU time of their threads is paid at the next tick.

use std::time::{Duration, Instant};

/// The slots of one spy thread.
pub struct Schedule {
    slot: Instant,
    period: Duration,
    random: u64,
}

impl Schedule {
    /// A grid of `period`-long slots, the first starting at `start`.
    pub fn new(start: Instant, period: Duration) -> Schedule {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Schedule { slot: start, period, random: (seed as u64) | 1 }
    }

    /// When the next tick is due, `now` being the end of the last one.
    pub fn next_due(&mut self, now: Instant) -> Instant {
        self.slot = next_slot(self.slot, self.period, now);
        self.slot + self.period.mul_f64(self.fraction())
    }

    /// A pseudo-random number in `[0, 1)` (xorshift64*).
    fn fraction(&mut self) -> f64 {
        self.random ^= self.random >> 12;
        self.random ^= self.random << 25;
        self.random ^= self.random >> 27;
        let r = self.random.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The slot after `slot`, or the one holding `now` if that one already ended.
fn next_slot(slot: Instant, period: Duration, now: Instant) -> Instant {
    let next = slot + period;
    if next + period > now {
        return next;
    }
    let ended = (now - next).as_nanos() / period.as_nanos().max(1);
    next + period * ended as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_grid_and_skip_what_ended() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(next_slot(t0, ms(10), t0 + ms(3)), t0 + ms(10));
        assert_eq!(next_slot(t0, ms(10), t0 + ms(19)), t0 + ms(10));
        assert_eq!(next_slot(t0, ms(10), t0 + ms(20)), t0 + ms(20));
        assert_eq!(next_slot(t0, ms(10), t0 + ms(35)), t0 + ms(30));
    }

    #[test]
    fn ticks_fall_inside_their_slots_and_keep_the_rate() {
        let t0 = Instant::now();
        let period = Duration::from_millis(10);
        let mut schedule = Schedule::new(t0, period);
        let mut now = t0;
        let mut offsets = Vec::new();
        for k in 1..=1000u32 {
            let due = schedule.next_due(now);
            let slot = t0 + period * k;
            assert!(due >= slot && due < slot + period, "tick {k} outside its slot");
            offsets.push((due - slot).as_secs_f64() / period.as_secs_f64());
            now = due;
        }
        let mean = offsets.iter().sum::<f64>() / offsets.len() as f64;
        assert!((0.45..0.55).contains(&mean), "uniform inside the slot: mean {mean}");
    }
}
