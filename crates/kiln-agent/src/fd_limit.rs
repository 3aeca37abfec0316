//! The open-file limit: the spies hold descriptors per thread of their
//! targets (perf events per thread and CPU, `/proc` files kept open), so a
//! target with many threads needs more than the usual soft limit of 1,024.

/// Lifts the soft open-file limit to the hard one.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain get/setrlimit on a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
