//! A perf ring buffer: the kernel writes records at `data_head`, we consume
//! them up to `data_head` and publish `data_tail` so the space is reused.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{fence, AtomicU64, Ordering};

use perf_event_open_sys::bindings::perf_event_mmap_page;

use crate::error::{Error, Result};

/// Data pages per ring (a power of two): 1 MiB, about 60 samples of 16 KiB
/// stack per CPU between two drains.
pub const DATA_PAGES: usize = 256;

/// One mapped ring buffer, owning the event it belongs to.
pub struct Ring {
    base: *mut u8,
    len: usize,
    data_offset: usize,
    data_size: usize,
    fd: OwnedFd,
}

// SAFETY: the mapping is only touched through `&mut self` by one thread.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps the ring buffer of `fd`.
    pub fn map(fd: OwnedFd) -> Result<Ring> {
        let page = page_size();
        let len = page * (DATA_PAGES + 1);
        // SAFETY: mapping a perf event fd with the documented 1 + 2^n pages layout.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::last_os("mmap of the perf ring buffer"));
        }
        Ok(Ring { base: base.cast(), len, data_offset: page, data_size: page * DATA_PAGES, fd })
    }

    /// The event that owns this buffer.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    fn header(&self) -> *mut perf_event_mmap_page {
        self.base.cast()
    }

    /// Appends every unread byte to `out` and frees that space; records
    /// that wrap around the end of the buffer come out contiguous.
    pub fn drain_into(&mut self, out: &mut Vec<u8>) {
        let header = self.header();
        // SAFETY: `data_head`/`data_tail` are naturally aligned u64 fields of the
        // mapped header page, shared with the kernel as the perf ABI describes.
        let (head_ref, tail_ref) = unsafe {
            (
                AtomicU64::from_ptr(std::ptr::addr_of_mut!((*header).data_head)),
                AtomicU64::from_ptr(std::ptr::addr_of_mut!((*header).data_tail)),
            )
        };
        let head = head_ref.load(Ordering::Acquire);
        let tail = tail_ref.load(Ordering::Relaxed);
        let available = head.wrapping_sub(tail) as usize;
        if available == 0 || available > self.data_size {
            return;
        }
        let start = (tail as usize) % self.data_size;
        let first = available.min(self.data_size - start);
        // SAFETY: both ranges lie inside the data area of the mapping.
        unsafe {
            let data = self.base.add(self.data_offset);
            out.extend_from_slice(std::slice::from_raw_parts(data.add(start), first));
            out.extend_from_slice(std::slice::from_raw_parts(data, available - first));
        }
        fence(Ordering::Release);
        tail_ref.store(head, Ordering::Release);
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `map` mapped.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}
