//! The `SIGPROF` timer and its handler. The handler is async-signal-safe:
//! it reads registers from the signal context, walks frame pointers with
//! `process_vm_readv` (a syscall, so a wild pointer gives `EFAULT`, never a
//! fault), and writes into the pre-allocated [`Ring`]. It does not
//! allocate, lock, or call anything but that syscall; it keeps `errno`.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, Ordering};

use crate::error::Error;
use crate::ring::{Ring, StackRecord, MAX_DEPTH};
use crate::tags;

/// The ring the handler writes to; set before the timer starts, never freed.
static RING: AtomicPtr<Ring> = AtomicPtr::new(std::ptr::null_mut());
static SAMPLING: AtomicBool = AtomicBool::new(false);
static PID: AtomicI32 = AtomicI32::new(0);
/// Samples the handler stored.
pub static SAMPLES: AtomicU64 = AtomicU64::new(0);

/// A frame pointer further than this above the stack pointer is not one.
const MAX_STACK_SPAN: u64 = 256 << 20;

/// The ring shared with the handler, made on first use.
pub fn ring() -> &'static Ring {
    let mut ptr = RING.load(Ordering::Acquire);
    if ptr.is_null() {
        let fresh = Box::into_raw(Box::new(Ring::new()));
        ptr = match RING.compare_exchange(std::ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => fresh,
            Err(existing) => {
                // SAFETY: `fresh` was never shared.
                drop(unsafe { Box::from_raw(fresh) });
                existing
            }
        };
    }
    // SAFETY: the ring is leaked, so it lives for the rest of the process.
    unsafe { &*ptr }
}

/// Installs the handler and arms `ITIMER_PROF` at `rate` Hz of CPU time.
pub fn start(rate: u32) -> Result<(), Error> {
    ring();
    PID.store(std::process::id() as i32, Ordering::Relaxed);
    SAMPLING.store(true, Ordering::Release);
    // SAFETY: a zeroed sigaction is valid; the handler has the SA_SIGINFO signature.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigprof as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGPROF, &action, std::ptr::null_mut()) != 0 {
            return Err(os_error("sigaction(SIGPROF)"));
        }
    }
    let period_us = (1_000_000 / rate.max(1)) as libc::suseconds_t;
    arm(period_us)
}

/// Disarms the timer; the handler stays installed but stores nothing, so a
/// signal still in flight cannot kill the process.
pub fn stop() -> Result<(), Error> {
    SAMPLING.store(false, Ordering::Release);
    arm(0)
}

fn arm(period_us: libc::suseconds_t) -> Result<(), Error> {
    let interval = libc::timeval { tv_sec: 0, tv_usec: period_us };
    let timer = libc::itimerval { it_interval: interval, it_value: interval };
    // SAFETY: plain syscall with valid pointers.
    if unsafe { libc::setitimer(libc::ITIMER_PROF, &timer, std::ptr::null_mut()) } != 0 {
        return Err(os_error("setitimer(ITIMER_PROF)"));
    }
    Ok(())
}

fn os_error(what: &'static str) -> Error {
    Error::Os { what, source: std::io::Error::last_os_error() }
}

extern "C" fn on_sigprof(_signal: libc::c_int, _info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    if !SAMPLING.load(Ordering::Acquire) || context.is_null() {
        return;
    }
    let ring = RING.load(Ordering::Acquire);
    if ring.is_null() {
        return;
    }
    // SAFETY: errno is thread-local; the handler restores what it found.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: the kernel passes a valid ucontext_t to an SA_SIGINFO handler.
    let (pc, fp, sp) = unsafe { registers(&*(context as *const libc::ucontext_t)) };
    let tag_set = tags::current_id();
    // SAFETY: the ring is leaked once set.
    let stored = unsafe { &*ring }.push(|record| {
        record.tag_set = tag_set;
        record.depth = walk(record, pc, fp, sp);
    });
    if stored {
        SAMPLES.fetch_add(1, Ordering::Relaxed);
    }
    unsafe { *libc::__errno_location() = errno };
}

/// The interrupted thread's program counter, frame pointer, stack pointer.
#[cfg(target_arch = "x86_64")]
fn registers(context: &libc::ucontext_t) -> (u64, u64, u64) {
    let gregs = &context.uc_mcontext.gregs;
    (gregs[libc::REG_RIP as usize] as u64, gregs[libc::REG_RBP as usize] as u64, gregs[libc::REG_RSP as usize] as u64)
}

#[cfg(target_arch = "aarch64")]
fn registers(context: &libc::ucontext_t) -> (u64, u64, u64) {
    let mcontext = &context.uc_mcontext;
    (mcontext.pc, mcontext.regs[29], mcontext.sp)
}

/// Fills `record.pcs` leaf first by following the frame-pointer chain
/// (`[fp]` = caller's fp, `[fp + 8]` = return address) and returns the
/// depth. The chain must climb the stack, stay within [`MAX_STACK_SPAN`]
/// of the stack pointer and be readable, else the walk ends there.
fn walk(record: &mut StackRecord, pc: u64, mut fp: u64, sp: u64) -> u32 {
    record.pcs[0] = pc;
    let mut depth = 1;
    while depth < MAX_DEPTH {
        if !fp.is_multiple_of(8) || fp < sp || fp - sp > MAX_STACK_SPAN {
            break;
        }
        let Some([next_fp, return_address]) = read_frame(fp) else { break };
        if return_address == 0 {
            break;
        }
        record.pcs[depth] = return_address;
        depth += 1;
        if next_fp <= fp {
            break;
        }
        fp = next_fp;
    }
    depth as u32
}

/// Two words at `address` of this process's memory, or `None` when unmapped.
fn read_frame(address: u64) -> Option<[u64; 2]> {
    let mut words = [0u64; 2];
    let local = libc::iovec { iov_base: words.as_mut_ptr().cast(), iov_len: 16 };
    let remote = libc::iovec { iov_base: address as *mut libc::c_void, iov_len: 16 };
    // SAFETY: the kernel checks the remote range; the local one is ours.
    let read = unsafe { libc::process_vm_readv(PID.load(Ordering::Relaxed), &local, 1, &remote, 1, 0) };
    (read == 16).then_some(words)
}
