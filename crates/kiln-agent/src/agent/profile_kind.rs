//! The profiles a scrape job can take from a Go program, as Alloy's
//! `pyroscope.scrape` names and stores them: the endpoint under
//! `/debug/pprof/`, the series' `__name__` (`process_cpu`, `memory`,
//! `mutex`, `block`, `goroutine`), which sample types are cumulative (so
//! stored as the difference between two scrapes), and which are kept.

use serde::Deserialize;

/// One profile of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// `profile?seconds=N`: CPU over the interval, already a delta.
    Cpu,
    /// `heap`: in-use memory (a gauge) and, unless `allocs` is scraped too,
    /// allocations (cumulative).
    Heap,
    /// `allocs`: allocations since the program started (cumulative).
    Allocs,
    /// `mutex`: contention since the program started (cumulative).
    Mutex,
    /// `block`: blocking since the program started (cumulative).
    Block,
    /// `goroutine`: the goroutines now (a gauge).
    Goroutine,
    /// godeltaprof's `delta_heap`: allocations and in-use memory, already deltas.
    DeltaHeap,
    /// godeltaprof's `delta_mutex`, already a delta.
    DeltaMutex,
    /// godeltaprof's `delta_block`, already a delta.
    DeltaBlock,
}

impl ProfileKind {
    /// What a job scrapes when it names no profiles: Go's own endpoints.
    pub fn defaults() -> Vec<ProfileKind> {
        use ProfileKind::*;
        vec![Cpu, Heap, Allocs, Mutex, Block, Goroutine]
    }

    /// Its name in the configuration file and in `/metrics`.
    pub fn config_name(self) -> &'static str {
        match self {
            ProfileKind::Cpu => "cpu",
            ProfileKind::Heap => "heap",
            ProfileKind::Allocs => "allocs",
            ProfileKind::Mutex => "mutex",
            ProfileKind::Block => "block",
            ProfileKind::Goroutine => "goroutine",
            ProfileKind::DeltaHeap => "delta_heap",
            ProfileKind::DeltaMutex => "delta_mutex",
            ProfileKind::DeltaBlock => "delta_block",
        }
    }

    /// The endpoint's path and query: `/debug/pprof/NAME`, the CPU profile
    /// asking for `cpu_seconds`.
    pub fn target(self, path_prefix: &str, cpu_seconds: u64) -> String {
        let prefix = path_prefix.trim_end_matches('/');
        match self {
            ProfileKind::Cpu => format!("{prefix}/debug/pprof/profile?seconds={cpu_seconds}"),
            kind => format!("{prefix}/debug/pprof/{}", kind.config_name()),
        }
    }

    /// The series' `__name__`, as Pyroscope names the profile type.
    pub fn metric_name(self) -> &'static str {
        match self {
            ProfileKind::Cpu => "process_cpu",
            ProfileKind::Heap | ProfileKind::Allocs | ProfileKind::DeltaHeap => "memory",
            ProfileKind::Mutex | ProfileKind::DeltaMutex => "mutex",
            ProfileKind::Block | ProfileKind::DeltaBlock => "block",
            ProfileKind::Goroutine => "goroutine",
        }
    }

    /// Whether the values of sample type `ty` only grow over the program's
    /// life, so a scrape is stored as its difference from the previous one.
    pub fn is_cumulative(self, ty: &str) -> bool {
        match self {
            ProfileKind::Heap | ProfileKind::Allocs => ty.starts_with("alloc_"),
            ProfileKind::Mutex | ProfileKind::Block => true,
            _ => false,
        }
    }

    /// Whether sample type `ty` is stored, given every kind the job scrapes:
    /// Go's `heap` and `allocs` answer the same four types, so with both
    /// scraped `heap` keeps the in-use ones and `allocs` the allocations.
    pub fn keeps(self, ty: &str, scraped: &[ProfileKind]) -> bool {
        match self {
            ProfileKind::Heap if scraped.contains(&ProfileKind::Allocs) => !ty.starts_with("alloc_"),
            ProfileKind::Allocs => ty.starts_with("alloc_"),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_names_follow_go_and_pyroscope() {
        assert_eq!(ProfileKind::Cpu.target("", 14), "/debug/pprof/profile?seconds=14");
        assert_eq!(ProfileKind::DeltaHeap.target("/internal/", 1), "/internal/debug/pprof/delta_heap");
        let names: Vec<_> = ProfileKind::defaults().iter().map(|k| k.metric_name()).collect();
        assert_eq!(names, ["process_cpu", "memory", "memory", "mutex", "block", "goroutine"]);
    }

    #[test]
    fn heap_keeps_allocations_only_when_allocs_is_not_scraped() {
        let both = ProfileKind::defaults();
        assert!(ProfileKind::Heap.keeps("inuse_space", &both) && !ProfileKind::Heap.keeps("alloc_space", &both));
        assert!(ProfileKind::Allocs.keeps("alloc_space", &both) && !ProfileKind::Allocs.keeps("inuse_space", &both));
        assert!(ProfileKind::Heap.keeps("alloc_space", &[ProfileKind::Heap]));
        assert!(ProfileKind::Heap.is_cumulative("alloc_objects") && !ProfileKind::Heap.is_cumulative("inuse_space"));
        assert!(!ProfileKind::DeltaMutex.is_cumulative("delay") && ProfileKind::Mutex.is_cumulative("delay"));
    }
}
