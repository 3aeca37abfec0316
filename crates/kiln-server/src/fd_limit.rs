//! The open-file limit: every connection holds a descriptor, so the soft
//! limit (often 1,024) is raised to the hard one at start, and the number
//! of connections served at once is kept under what remains.
//!
//! `kiln-agent` raises the same limit for its spies, but the server may not
//! depend on the agent (see the dependency rules), and the function is a
//! few lines of `getrlimit`/`setrlimit`.

/// Descriptors kept back from connections for the store, logs and the
/// listener: an eighth of the limit, at least 64.
fn reserved(limit: u64) -> u64 {
    (limit / 8).max(64)
}

/// Raises the soft open-file limit to the hard one and returns the new
/// soft limit (`None` when it cannot be read).
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit on a valid, initialised struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

/// `configured`, lowered so that connections leave descriptors for the rest.
pub fn connection_capacity(configured: usize, open_file_limit: Option<u64>) -> usize {
    let Some(limit) = open_file_limit else { return configured };
    let room = limit.saturating_sub(reserved(limit)).max(1);
    configured.min(usize::try_from(room).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::connection_capacity;

    #[test]
    fn connections_leave_an_eighth_of_the_open_file_limit_free() {
        assert_eq!(connection_capacity(10_000, Some(1024)), 896);
        assert_eq!(connection_capacity(10_000, Some(1 << 20)), 10_000);
        assert_eq!(connection_capacity(10_000, Some(64)), 1);
        assert_eq!(connection_capacity(500, None), 500);
    }
}
