//! The pprof messages kiln-sdk writes (a subset of `profile.proto`), and a
//! CPU profile built from aggregated stacks: sample types `samples/count`
//! and `cpu/nanoseconds`, period `cpu/nanoseconds` = 1 s / rate, as
//! Pyroscope's SDKs send them.

use rustc_hash::FxHashMap;

use crate::symbolize::{Frame, Symbolizer};

#[derive(Clone, PartialEq, prost::Message)]
pub struct Profile {
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    pub period: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueType {
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(uint64, tag = "3")]
    pub address: u64,
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Line {
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    #[prost(int64, tag = "2")]
    pub line: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Function {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(int64, tag = "2")]
    pub name: i64,
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    #[prost(int64, tag = "4")]
    pub filename: i64,
}

/// Builds one profile; locations, functions and strings are interned.
struct Builder<'s> {
    profile: Profile,
    strings: FxHashMap<String, i64>,
    functions: FxHashMap<(String, String), u64>,
    locations: FxHashMap<(u64, bool), u64>,
    symbolizer: &'s mut Symbolizer,
}

impl Builder<'_> {
    fn string(&mut self, s: &str) -> i64 {
        if let Some(id) = self.strings.get(s) {
            return *id;
        }
        let id = self.profile.string_table.len() as i64;
        self.profile.string_table.push(s.to_owned());
        self.strings.insert(s.to_owned(), id);
        id
    }

    fn function(&mut self, frame: &Frame) -> u64 {
        let key = (frame.function.clone(), frame.file.clone());
        if let Some(id) = self.functions.get(&key) {
            return *id;
        }
        let (name, filename) = (self.string(&frame.function), self.string(&frame.file));
        let id = self.profile.function.len() as u64 + 1;
        self.profile.function.push(Function { id, name, system_name: name, filename });
        self.functions.insert(key, id);
        id
    }

    fn location(&mut self, address: u64, leaf: bool) -> u64 {
        if let Some(id) = self.locations.get(&(address, leaf)) {
            return *id;
        }
        let frames = self.symbolizer.frames(address, leaf).to_vec();
        let line = frames.iter().map(|f| Line { function_id: self.function(f), line: f.line }).collect();
        let id = self.profile.location.len() as u64 + 1;
        self.profile.location.push(Location { id, address, line });
        self.locations.insert((address, leaf), id);
        id
    }
}

/// A CPU profile of `stacks` (addresses leaf first -> samples taken), one
/// sample = `period_nanos` of CPU.
pub fn cpu_profile<'a>(
    stacks: impl IntoIterator<Item = (&'a [u64], u64)>,
    period_nanos: i64,
    time_nanos: i64,
    duration_nanos: i64,
    symbolizer: &mut Symbolizer,
) -> Profile {
    let mut b = Builder {
        profile: Profile { time_nanos, duration_nanos, period: period_nanos, ..Profile::default() },
        strings: FxHashMap::default(),
        functions: FxHashMap::default(),
        locations: FxHashMap::default(),
        symbolizer,
    };
    b.string("");
    let (samples, count, cpu, nanoseconds) =
        (b.string("samples"), b.string("count"), b.string("cpu"), b.string("nanoseconds"));
    b.profile.sample_type =
        vec![ValueType { r#type: samples, unit: count }, ValueType { r#type: cpu, unit: nanoseconds }];
    b.profile.period_type = Some(ValueType { r#type: cpu, unit: nanoseconds });
    for (pcs, taken) in stacks {
        let location_id = pcs.iter().enumerate().map(|(i, pc)| b.location(*pc, i == 0)).collect();
        let value = vec![taken as i64, taken as i64 * period_nanos];
        b.profile.sample.push(Sample { location_id, value });
    }
    b.profile
}
