//! A Rust release program (built with `-C debuginfo=line-tables-only`) whose
//! hot function `table::Table::child` has its hash probe inlined into it:
//! about two thirds of the CPU in `child`, one third in `digest::fold`, for
//! SECONDS (the first argument) of wall time.

use std::hint::black_box;
use std::time::{Duration, Instant};

mod table {
    pub struct Table {
        slots: Vec<u64>,
    }

    impl Table {
        pub fn new(len: usize) -> Table {
            Table { slots: (0..len as u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect() }
        }

        /// Open addressing over the slots; inlined into `child`.
        #[inline(always)]
        fn probe(&self, key: u64) -> u64 {
            let mask = self.slots.len() as u64 - 1;
            let mut at = key.wrapping_mul(0x2545_f491_4f6c_dd1d) & mask;
            let mut seen = 0u64;
            for _ in 0..64 {
                seen = seen.wrapping_add(self.slots[at as usize] ^ key);
                at = (at + seen % 7 + 1) & mask;
            }
            seen
        }

        #[inline(never)]
        pub fn child(&self, key: u64) -> u64 {
            self.probe(key).rotate_left(5)
        }
    }
}

mod digest {
    #[inline(never)]
    pub fn fold(data: &[u64]) -> u64 {
        data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ x).wrapping_mul(0x100_0000_01b3).rotate_left(7))
    }
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let table = table::Table::new(1 << 12);
    let data: Vec<u64> = (0..2048).collect();
    let mut sum = 0u64;
    while Instant::now() < deadline {
        for key in 0..64u64 {
            sum = sum.wrapping_add(table.child(black_box(key)));
        }
        sum = sum.wrapping_add(digest::fold(black_box(&data)));
    }
    println!("{sum}");
}
