//! The allocator setting the store's memory bound relies on.
//!
//! glibc's malloc gives each thread that contends for it an arena of its
//! own, up to 8 per core, and rarely returns an arena's freed pages. Under
//! sustained ingest (request tasks, the segment writer and compaction on
//! tokio's worker and blocking threads) that alone kept ~80 MB more resident
//! than the heap in use, and growing (`memory_under_ingest` bench). Two
//! arenas keep contention low on the few cores Kiln runs on and memory flat.

/// Arenas glibc's malloc may create.
const ARENAS: libc::c_int = 2;

/// Limits glibc's malloc arenas; call first in `main`, before any thread
/// starts. Does nothing on other C libraries.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before threads start.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}
