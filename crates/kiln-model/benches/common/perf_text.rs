//! Renders `perf script` text from a synthetic service: one `cpu-clock`
//! event per sample, several threads, Go frames over a binary, occasional
//! native leaves (C++ with templates and argument lists, libc), kernel
//! frames, `[unknown]` frames, and a libc root.

use std::fmt::Write;

use kiln_model::Profile;

use crate::common::rng::Rng;

const COMMS: [(&str, u32); 4] = [("svc", 4101), ("svc", 4107), ("svc-worker", 4130), ("GC worker", 4142)];

const KERNEL: [&str; 7] = [
    "__schedule",
    "schedule",
    "futex_wait_queue",
    "futex_wait",
    "do_futex",
    "do_syscall_64",
    "entry_SYSCALL_64_after_hwframe",
];

const NATIVE_LEAVES: [(&str, &str); 4] = [
    ("__memmove_avx_unaligned_erms", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
    ("std::vector<int, std::allocator<int> >::_M_realloc_insert(int const&)", "/usr/local/lib/libnative.so"),
    ("(anonymous namespace)::Codec::encode(char const*, unsigned long)", "/usr/local/lib/libnative.so"),
    ("malloc", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
];

/// At least `min_bytes` of `perf script` text, starting with `prefix`.
pub fn perf_script(rng: &mut Rng, profile: &Profile, prefix: &str, min_bytes: usize) -> String {
    let mut out = String::with_capacity(min_bytes + (64 << 10));
    out.push_str(prefix);
    let mut time_us = 579_000_000u64;
    while out.len() < min_bytes {
        let (comm, tid) = COMMS[rng.below(COMMS.len())];
        time_us += 1 + rng.below(2_000) as u64;
        let _ = writeln!(
            out,
            "{comm} {tid:>6} {:>5}.{:06}: {:>10} cpu-clock: ",
            time_us / 1_000_000,
            time_us % 1_000_000,
            10_101_010
        );
        event_stack(rng, profile, &mut out);
        out.push('\n');
    }
    out
}

fn frame(out: &mut String, address: u64, symbol: &str, offset: u64, dso: &str) {
    let _ = writeln!(out, "\t{address:>16x} {symbol}+0x{offset:x} ({dso})");
}

/// The callchain of one event, leaf first.
fn event_stack(rng: &mut Rng, profile: &Profile, out: &mut String) {
    match rng.below(20) {
        0 => {
            for (i, name) in KERNEL.iter().enumerate() {
                frame(out, 0xffff_ffff_8100_0000 + 0x1_3370 * i as u64, name, 0x1d, "[kernel.kallsyms]");
            }
        }
        1 => {
            let (name, dso) = NATIVE_LEAVES[rng.below(NATIVE_LEAVES.len())];
            frame(out, 0x7f3a_1c2b_0000 + rng.below(0x1000) as u64, name, rng.below(0x200) as u64, dso);
        }
        2 => out.push_str("\t               0 [unknown] ([unknown])\n"),
        _ => {}
    }
    let sample = &profile.samples[rng.skewed(profile.samples.len())];
    for &loc in &sample.locations {
        let location = &profile.locations[loc as usize];
        for line in &location.lines {
            let name = profile.function_name(line.function);
            frame(out, location.address, name, location.address & 0xff, "/usr/local/bin/svc");
        }
    }
    frame(out, 0x2724a, "__libc_start_call_main", 0x7a, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}
