//! Events to profiles, following Pyroscope's JFR conversion: execution
//! samples (unless the thread was sleeping) are CPU, async-profiler's
//! wall-clock samples are wall, allocation events are `memory` profiles of
//! objects and bytes, monitor-enter and park events are `mutex` and `block`
//! profiles of contentions and delay.

use rustc_hash::FxHashMap;

use super::kinds::{EventType, Kind};
use super::output::Output;
use super::resolve::{Chunk, Object, Stacks};
use super::JfrProfile;

/// Sampling period used when neither the caller nor the recording's
/// settings give one: 100 Hz, pyroscope-java's default.
const DEFAULT_PERIOD_NANOS: i64 = 10_000_000;

/// Collects the profiles of all chunks.
pub(crate) struct Converter {
    outputs: FxHashMap<Kind, Output>,
    /// The period the caller asked for (from an ingest `sampleRate`).
    forced_period: Option<i64>,
    /// The execution-sample period the recording's settings give.
    setting_period: Option<i64>,
    /// async-profiler's `event` setting; `wall` makes execution samples
    /// wall-clock samples too.
    event: String,
    start_nanos: Option<i64>,
    end_nanos: i64,
}

/// What one event contributes: which kind, its values, whether its
/// context id is kept.
struct Contribution {
    kind: Kind,
    values: [i64; 2],
    with_context: bool,
}

impl Converter {
    /// A converter; `sample_rate` (Hz) overrides the recording's period.
    pub(crate) fn new(sample_rate: Option<u32>) -> Self {
        Converter {
            outputs: FxHashMap::default(),
            forced_period: sample_rate.filter(|&r| r > 0).map(|r| 1_000_000_000 / i64::from(r)),
            setting_period: None,
            event: String::new(),
            start_nanos: None,
            end_nanos: 0,
        }
    }

    /// Starts a chunk covering this time range.
    pub(crate) fn start_chunk(&mut self, start_nanos: i64, duration_nanos: i64) {
        self.outputs.values_mut().for_each(Output::start_chunk);
        let start = *self.start_nanos.get_or_insert(start_nanos);
        self.start_nanos = Some(start.min(start_nanos));
        self.end_nanos = self.end_nanos.max(start_nanos.saturating_add(duration_nanos.max(0)));
    }

    /// Converts one event of a known type.
    pub(crate) fn event(&mut self, ev: &EventContext<'_, '_>, stacks: &mut Stacks<'_>, ty: EventType) {
        if ty == EventType::ActiveSetting {
            self.setting(ev);
            return;
        }
        let contributions = self.contributions(ev, ty);
        if contributions.is_empty() {
            return;
        }
        let Some((stack_ref, _)) = ev.chunk.field(ev.object, "stackTrace") else { return };
        let Some((key, frames)) = stacks.frames(stack_ref) else { return };
        for c in contributions {
            let context = if c.with_context { ev.int("contextId") } else { 0 };
            self.outputs.entry(c.kind).or_insert_with(|| Output::new(c.kind)).add(key, &frames, context, c.values);
        }
    }

    fn contributions(&self, ev: &EventContext<'_, '_>, ty: EventType) -> Vec<Contribution> {
        let one = |kind, value, with_context| vec![Contribution { kind, values: [1, value], with_context }];
        let wall = self.event == "wall";
        match ty {
            EventType::ExecutionSample => {
                let mut out = Vec::with_capacity(2);
                if ev.state() != Some("STATE_SLEEPING") {
                    out.push(Contribution { kind: Kind::Cpu, values: [1, 0], with_context: true });
                }
                if wall {
                    out.push(Contribution { kind: Kind::Wall, values: [1, 0], with_context: true });
                }
                out
            }
            EventType::WallClockSample => {
                let n = ev.int("samples");
                let mut out = vec![Contribution { kind: Kind::Wall, values: [n, 0], with_context: true }];
                if wall && ev.state() == Some("STATE_RUNNABLE") {
                    out.insert(0, Contribution { kind: Kind::Cpu, values: [n, 0], with_context: true });
                }
                out
            }
            EventType::AllocInNewTlab => one(Kind::AllocInNewTlab, ev.int("tlabSize"), true),
            EventType::AllocOutsideTlab => one(Kind::AllocOutsideTlab, ev.int("allocationSize"), true),
            EventType::AllocSample => one(Kind::AllocSample, ev.int("weight"), false),
            EventType::MonitorEnter => one(Kind::Lock, ev.duration_nanos(), true),
            EventType::ThreadPark => one(Kind::ThreadPark, ev.duration_nanos(), false),
            EventType::LiveObject => one(Kind::LiveObject, 0, false),
            EventType::Malloc => one(Kind::Malloc, ev.int("size"), false),
            EventType::ActiveSetting => Vec::new(),
        }
    }

    /// Reads `jdk.ActiveSetting`: the execution-sample period (JDK
    /// `period`, e.g. `10 ms`; async-profiler `interval` in nanoseconds)
    /// and async-profiler's `event`.
    fn setting(&mut self, ev: &EventContext<'_, '_>) {
        let name = ev.chunk.text(ev.object, "name").unwrap_or_default();
        let value = ev.chunk.text(ev.object, "value").unwrap_or_default();
        if name == "event" {
            self.event = value.to_owned();
            return;
        }
        let for_execution_samples = ev.execution_sample_type.is_some_and(|t| ev.int("id") as u64 == t);
        let period = match name {
            "period" => parse_duration_nanos(value),
            "interval" => value.trim().parse::<i64>().ok(),
            _ => None,
        };
        if let Some(p) = period.filter(|&p| p > 0 && for_execution_samples) {
            self.setting_period = Some(p);
        }
    }

    /// The finished profiles, in a fixed kind order.
    pub(crate) fn finish(mut self) -> Vec<JfrProfile> {
        let period = self.forced_period.or(self.setting_period).unwrap_or(DEFAULT_PERIOD_NANOS);
        let start = self.start_nanos.unwrap_or(0);
        let duration = self.end_nanos.saturating_sub(start);
        Kind::ALL
            .iter()
            .filter_map(|kind| {
                let profile = self.outputs.remove(kind)?.build(period, start, duration);
                Some(JfrProfile { name: kind.name().to_owned(), profile })
            })
            .collect()
    }
}

/// One event with what is needed to read its fields.
pub(crate) struct EventContext<'c, 'v> {
    pub chunk: &'c Chunk<'c>,
    pub object: Object<'v>,
    pub ticks_per_second: i64,
    /// The chunk's type id of `jdk.ExecutionSample`, for settings.
    pub execution_sample_type: Option<u64>,
}

impl EventContext<'_, '_> {
    fn int(&self, name: &str) -> i64 {
        self.chunk.int(self.object, name).unwrap_or(0)
    }

    /// The sampled thread's state name, e.g. `STATE_RUNNABLE`.
    fn state(&self) -> Option<&str> {
        self.chunk.text(self.chunk.child(self.object, "state")?, "name")
    }

    /// The event's `duration` field converted from ticks to nanoseconds.
    fn duration_nanos(&self) -> i64 {
        let ticks = i128::from(self.int("duration"));
        let nanos = ticks * 1_000_000_000 / i128::from(self.ticks_per_second.max(1));
        nanos.clamp(0, i128::from(i64::MAX)) as i64
    }
}

/// Parses a JFR duration setting such as `10 ms` or `1 s` to nanoseconds.
fn parse_duration_nanos(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: i64 = s[..split].parse().ok()?;
    let unit = match s[split..].trim() {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    n.checked_mul(unit)
}
