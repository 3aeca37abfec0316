//! Which JFR events Kiln converts, and into which Pyroscope profile: the
//! `__name__`, sample types and period type of each, as Pyroscope's JFR
//! conversion defines them.

/// A profile produced from JFR events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Cpu,
    Wall,
    AllocInNewTlab,
    AllocOutsideTlab,
    Lock,
    ThreadPark,
    LiveObject,
    AllocSample,
    Malloc,
}

impl Kind {
    /// Every kind, in output order.
    pub(crate) const ALL: [Kind; 9] = [
        Kind::Cpu,
        Kind::Wall,
        Kind::AllocInNewTlab,
        Kind::AllocOutsideTlab,
        Kind::Lock,
        Kind::ThreadPark,
        Kind::LiveObject,
        Kind::AllocSample,
        Kind::Malloc,
    ];

    /// The profile's `__name__`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "process_cpu",
            Kind::Wall => "wall",
            Kind::Lock => "mutex",
            Kind::ThreadPark => "block",
            _ => "memory",
        }
    }

    /// `(type, unit)` of each sample value.
    pub(crate) fn sample_types(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Cpu => &[("cpu", "nanoseconds")],
            Kind::Wall => &[("wall", "nanoseconds")],
            Kind::AllocInNewTlab => &[("alloc_in_new_tlab_objects", "count"), ("alloc_in_new_tlab_bytes", "bytes")],
            Kind::AllocOutsideTlab => &[("alloc_outside_tlab_objects", "count"), ("alloc_outside_tlab_bytes", "bytes")],
            Kind::Lock | Kind::ThreadPark => &[("contentions", "count"), ("delay", "nanoseconds")],
            Kind::LiveObject => &[("live", "count")],
            Kind::AllocSample => &[("alloc_sample_objects", "count"), ("alloc_sample_bytes", "bytes")],
            Kind::Malloc => &[("malloc_objects", "count"), ("malloc_bytes", "bytes")],
        }
    }

    /// `(type, unit)` of the period.
    pub(crate) fn period_type(self) -> (&'static str, &'static str) {
        match self {
            Kind::Cpu => ("cpu", "nanoseconds"),
            Kind::Wall => ("wall", "nanoseconds"),
            Kind::Lock => ("mutex", "count"),
            Kind::ThreadPark => ("block", "count"),
            Kind::LiveObject => ("objects", "count"),
            Kind::Malloc => ("", ""),
            _ => ("space", "bytes"),
        }
    }

    /// Whether a sample's first value counts samples, to be multiplied by
    /// the sampling period.
    pub(crate) fn is_sampled_time(self) -> bool {
        matches!(self, Kind::Cpu | Kind::Wall)
    }
}

/// An event type Kiln reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    ExecutionSample,
    WallClockSample,
    AllocInNewTlab,
    AllocOutsideTlab,
    AllocSample,
    MonitorEnter,
    ThreadPark,
    LiveObject,
    Malloc,
    ActiveSetting,
}

impl EventType {
    /// The event type a JFR type name stands for, if Kiln reads it.
    pub(crate) fn from_name(name: &str) -> Option<EventType> {
        Some(match name {
            "jdk.ExecutionSample" => EventType::ExecutionSample,
            "profiler.WallClockSample" => EventType::WallClockSample,
            "jdk.ObjectAllocationInNewTLAB" => EventType::AllocInNewTlab,
            "jdk.ObjectAllocationOutsideTLAB" => EventType::AllocOutsideTlab,
            "jdk.ObjectAllocationSample" => EventType::AllocSample,
            "jdk.JavaMonitorEnter" => EventType::MonitorEnter,
            "jdk.ThreadPark" => EventType::ThreadPark,
            "profiler.LiveObject" => EventType::LiveObject,
            "profiler.Malloc" => EventType::Malloc,
            "jdk.ActiveSetting" => EventType::ActiveSetting,
            _ => return None,
        })
    }
}
