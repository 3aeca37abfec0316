//! Opening `cpu-clock` sampling events with `perf_event_open`.
//!
//! Events are per (task, CPU) with `inherit = 1`: the kernel refuses to mmap
//! inherited per-task (`cpu = -1`) events, while per-CPU ones may be mapped
//! and still follow every thread and child process the task creates after the
//! event was opened. Threads that already exist get their own events, whose
//! output is redirected into the ring buffer of the same CPU.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use perf_event_open_sys::bindings as sys;

use crate::error::{Error, Result};

/// Bytes of user stack copied with every sample.
pub const STACK_BYTES: u32 = 16 * 1024;

/// `sample_regs_user`: the x86_64 registers framehop needs (BP, SP, IP), in
/// this bit order; the kernel writes them in ascending bit order.
pub const REGS_MASK: u64 = (1 << sys::PERF_REG_X86_BP) | (1 << sys::PERF_REG_X86_SP) | (1 << sys::PERF_REG_X86_IP);

/// The sample fields requested; `records.rs` parses them in this order.
/// The call chain is the kernel's part only (`exclude_callchain_user`):
/// user stacks are unwound from the copied stack.
pub const SAMPLE_TYPE: u64 = (sys::PERF_SAMPLE_IP
    | sys::PERF_SAMPLE_TID
    | sys::PERF_SAMPLE_TIME
    | sys::PERF_SAMPLE_CALLCHAIN
    | sys::PERF_SAMPLE_REGS_USER
    | sys::PERF_SAMPLE_STACK_USER) as u64;

/// The attribute for a `cpu-clock` sampling event at `rate_hz`. With
/// `include_kernel`, samples taken in system calls are kept (their user
/// registers and stack still describe the caller) with their kernel call
/// chain.
pub fn cpu_clock_attr(rate_hz: u32, include_kernel: bool, wakeup_bytes: u32) -> sys::perf_event_attr {
    let mut attr = sys::perf_event_attr {
        type_: sys::PERF_TYPE_SOFTWARE,
        size: std::mem::size_of::<sys::perf_event_attr>() as u32,
        config: sys::PERF_COUNT_SW_CPU_CLOCK as u64,
        sample_type: SAMPLE_TYPE,
        sample_regs_user: REGS_MASK,
        sample_stack_user: STACK_BYTES,
        ..Default::default()
    };
    attr.__bindgen_anon_1.sample_freq = u64::from(rate_hz);
    attr.__bindgen_anon_2.wakeup_watermark = wakeup_bytes;
    attr.set_freq(1);
    attr.set_inherit(1);
    attr.set_exclude_kernel(u64::from(!include_kernel));
    attr.set_exclude_hv(1);
    attr.set_exclude_callchain_kernel(u64::from(!include_kernel));
    attr.set_exclude_callchain_user(1);
    attr.set_mmap(1);
    attr.set_mmap2(1);
    attr.set_comm(1);
    attr.set_comm_exec(1);
    attr.set_task(1);
    attr.set_sample_id_all(1);
    attr.set_watermark(1);
    attr
}

/// Opens one event for task `tid` on `cpu`.
pub fn open(attr: &sys::perf_event_attr, tid: u32, cpu: i32) -> io::Result<OwnedFd> {
    open_raw(attr, tid as i32, cpu)
}

/// Opens one event for every task that runs on `cpu` (not inherited: it
/// already sees every task).
pub fn open_system_wide(attr: &sys::perf_event_attr, cpu: i32) -> io::Result<OwnedFd> {
    let mut attr = *attr;
    attr.set_inherit(0);
    open_raw(&attr, -1, cpu)
}

fn open_raw(attr: &sys::perf_event_attr, pid: i32, cpu: i32) -> io::Result<OwnedFd> {
    let mut attr = *attr;
    let flags = libc::c_ulong::from(sys::PERF_FLAG_FD_CLOEXEC);
    // SAFETY: `attr` is a fully initialised attribute of the size it states.
    let fd = unsafe { perf_event_open_sys::perf_event_open(&mut attr, pid, cpu, -1, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens the first event of a session, learning whether kernel-mode samples
/// are allowed: they need privileges under `perf_event_paranoid >= 2`.
pub fn open_first(rate_hz: u32, wakeup: u32, tid: u32, cpu: i32) -> Result<(OwnedFd, sys::perf_event_attr)> {
    let with_kernel = cpu_clock_attr(rate_hz, true, wakeup);
    match open(&with_kernel, tid, cpu) {
        Ok(fd) => return Ok((fd, with_kernel)),
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Err(Error::NoSuchProcess(tid)),
        Err(_) => {}
    }
    let user_only = cpu_clock_attr(rate_hz, false, wakeup);
    match open(&user_only, tid, cpu) {
        Ok(fd) => Ok((fd, user_only)),
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Err(Error::NoSuchProcess(tid)),
        Err(source) => Err(Error::PerfOpen { pid: tid, cpu, source }),
    }
}

/// Sends this event's records into `target`'s ring buffer (same CPU).
pub fn redirect_output(fd: &OwnedFd, target: &OwnedFd) -> Result<()> {
    // SAFETY: both are perf event descriptors we own.
    let r = unsafe { perf_event_open_sys::ioctls::SET_OUTPUT(fd.as_raw_fd(), target.as_raw_fd()) };
    if r < 0 {
        return Err(Error::last_os("PERF_EVENT_IOC_SET_OUTPUT"));
    }
    Ok(())
}

/// Stops an event from producing more samples.
pub fn disable(fd: &OwnedFd) {
    // SAFETY: a perf event descriptor we own; failure only means it is gone.
    unsafe { perf_event_open_sys::ioctls::DISABLE(fd.as_raw_fd(), 0) };
}

/// The CPUs events must be opened on: every possible CPU.
pub fn online_cpus() -> Vec<i32> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap_or_default();
    let cpus = parse_cpu_list(text.trim());
    if cpus.is_empty() {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1);
        return (0..n as i32).collect();
    }
    cpus
}

/// Parses a kernel CPU list such as `0-3,6`.
fn parse_cpu_list(text: &str) -> Vec<i32> {
    let mut cpus = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(lo), Ok(hi)) = (lo.parse::<i32>(), hi.parse::<i32>()) {
            cpus.extend(lo..=hi);
        }
    }
    cpus
}

#[cfg(test)]
mod tests {
    use super::parse_cpu_list;

    #[test]
    fn cpu_lists_expand_ranges() {
        assert_eq!(parse_cpu_list("0-2,5"), vec![0, 1, 2, 5]);
        assert_eq!(parse_cpu_list("0"), vec![0]);
    }
}
