//! The reader thread's state: applies task and mapping records, unwinds each
//! sample at once (so no copied stack outlives its drain) and keeps unique
//! stacks of `(object, address)` frames with a count. Symbolization waits for
//! the end, when every unique address is looked up once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::host::ProcessInfo;
use crate::objects::{ObjectId, Objects, KERNEL, UNKNOWN};
use crate::process::{is_named_mapping, Process};
use crate::records::{kernel_addresses, Record, Timed, UserRegs};

/// Addresses from here up belong to the kernel.
const KERNEL_START: u64 = 0xffff_8000_0000_0000;

/// Live counters shared with the sampler handle.
#[derive(Debug, Default)]
pub struct Counters {
    pub samples: AtomicU64,
    pub lost: AtomicU64,
}

/// A unique stack: process, thread name and frames (leaf first).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackKey {
    pub pid: u32,
    pub thread: u32,
    pub frames: Box<[u32]>,
}

/// Everything collected, ready to be symbolized.
pub struct Collected {
    pub objects: Objects,
    /// Frame ids index this: `(object, stated address)`.
    pub frames: Vec<(ObjectId, u64)>,
    pub thread_names: Vec<String>,
    pub stacks: FxHashMap<StackKey, u64>,
}

/// Turns drained records into counted stacks.
pub struct Collector {
    target: u32,
    follow_children: bool,
    processes: FxHashMap<u32, Process>,
    thread_of: FxHashMap<u32, u32>,
    name_ids: FxHashMap<String, u32>,
    frame_ids: FxHashMap<(ObjectId, u64), u32>,
    out: Collected,
    counters: Arc<Counters>,
    scratch: Vec<u64>,
    /// Whole-host mode: what each sampled process is, read on its first
    /// sample (and again after it `exec`s), kept until [`Collector::forget_exited`].
    infos: Option<FxHashMap<u32, ProcessInfo>>,
    exited: Vec<u32>,
}

impl Collector {
    /// A collector for `target`, seeded with its current memory map.
    pub fn new(target: u32, follow_children: bool, counters: Arc<Counters>) -> Collector {
        let mut objects = Objects::default();
        let process = Process::from_proc(target, &mut objects);
        let mut processes = FxHashMap::default();
        processes.insert(target, process);
        let out = Collected { objects, frames: Vec::new(), thread_names: Vec::new(), stacks: FxHashMap::default() };
        Collector {
            target,
            follow_children,
            processes,
            thread_of: FxHashMap::default(),
            name_ids: FxHashMap::default(),
            frame_ids: FxHashMap::default(),
            out,
            counters,
            scratch: Vec::new(),
            infos: None,
            exited: Vec::new(),
        }
    }

    /// A collector for every process of the host, each read from `/proc`
    /// on its first sample and kept up to date by mapping records.
    pub fn whole_host(counters: Arc<Counters>) -> Collector {
        let mut collector = Collector::new(0, true, counters);
        collector.processes.clear();
        collector.infos = Some(FxHashMap::default());
        collector
    }

    /// What was collected so far.
    pub fn collected(&self) -> &Collected {
        &self.out
    }

    /// Takes the stacks counted since the last call; frames stay.
    pub fn take_stacks(&mut self) -> FxHashMap<StackKey, u64> {
        std::mem::take(&mut self.out.stacks)
    }

    /// Drops the frame table (only between two [`Collector::take_stacks`],
    /// when no stack refers to it), so a long run's table stays bounded.
    pub fn forget_frames(&mut self) {
        self.out.frames.clear();
        self.frame_ids.clear();
    }

    /// Whole-host mode: the process behind `pid`, when it was sampled.
    pub fn info(&self, pid: u32) -> Option<&ProcessInfo> {
        self.infos.as_ref()?.get(&pid)
    }

    /// Whole-host mode: forgets the processes that exited.
    pub fn forget_exited(&mut self) {
        if let Some(infos) = &mut self.infos {
            for pid in self.exited.drain(..) {
                infos.remove(&pid);
            }
        }
    }

    /// Applies one drain's records in time order.
    pub fn apply(&mut self, records: &mut [Timed<'_>]) {
        records.sort_by_key(|r| r.time);
        for timed in records.iter() {
            self.apply_one(&timed.record);
        }
    }

    fn apply_one(&mut self, record: &Record<'_>) {
        match *record {
            Record::Sample { pid, tid, ip, kernel, regs: Some(regs), stack } => {
                self.sample(pid, tid, ip, kernel, regs, stack)
            }
            Record::Sample { .. } => {}
            Record::Mmap { pid, start, len, pgoff, executable: true, path } if is_named_mapping(path) => {
                let objects = &mut self.out.objects;
                let process = self.processes.entry(pid).or_insert_with(|| Process::new(pid));
                process.add_mapping(objects, start, len, pgoff, path);
            }
            Record::Mmap { .. } => {}
            Record::Comm { pid, tid, exec, name } => {
                if exec {
                    self.processes.insert(pid, Process::new(pid));
                    if let Some(infos) = &mut self.infos {
                        infos.remove(&pid);
                    }
                }
                let id = self.name_id(name);
                self.thread_of.insert(tid, id);
            }
            Record::Fork { pid, ppid, .. } if pid != ppid => {
                let child = self.processes.get(&ppid).map(|parent| parent.fork(pid));
                self.processes.insert(pid, child.unwrap_or_else(|| Process::new(pid)));
            }
            Record::Fork { .. } => {}
            Record::Exit { pid, tid } => {
                self.thread_of.remove(&tid);
                if pid == tid {
                    self.processes.remove(&pid);
                    self.exited.push(pid);
                }
            }
            Record::Lost { count } => {
                self.counters.lost.fetch_add(count, Ordering::Relaxed);
            }
        }
    }

    fn sample(&mut self, pid: u32, tid: u32, ip: u64, kernel: &[u8], regs: UserRegs, stack: &[u8]) {
        if !self.follow_children && pid != self.target {
            return;
        }
        if let Some(infos) = &mut self.infos {
            infos.entry(pid).or_insert_with(|| ProcessInfo::read(pid));
        }
        let objects = &mut self.out.objects;
        let process = self.processes.entry(pid).or_insert_with(|| Process::from_proc(pid, objects));
        let mut addresses = std::mem::take(&mut self.scratch);
        addresses.clear();
        process.unwind(regs, stack, &mut addresses);
        // A mapping made before sampling began that no record told us of
        // (a process seen mid-life): read its maps again, once.
        let leaf_unknown = addresses.first().is_some_and(|&a| process.resolve(objects, a).0 == UNKNOWN);
        if leaf_unknown && self.infos.is_some() && process.rescan(objects) {
            addresses.clear();
            process.unwind(regs, stack, &mut addresses);
        }
        let mut keys = Vec::with_capacity(addresses.len() + 1);
        if ip >= KERNEL_START {
            keys.extend(kernel_addresses(kernel).filter(|&a| a >= KERNEL_START).map(|a| (KERNEL, a)));
            if keys.is_empty() {
                keys.push((KERNEL, 0));
            }
        }
        keys.extend(addresses.iter().map(|&address| process.resolve(objects, address)));
        self.scratch = addresses;
        let frames: Vec<u32> = keys.into_iter().map(|key| self.frame_id(key)).collect();
        let thread = self.thread_name(pid, tid);
        let key = StackKey { pid, thread, frames: frames.into_boxed_slice() };
        *self.out.stacks.entry(key).or_insert(0) += 1;
        self.counters.samples.fetch_add(1, Ordering::Relaxed);
    }

    fn frame_id(&mut self, key: (ObjectId, u64)) -> u32 {
        let frames = &mut self.out.frames;
        *self.frame_ids.entry(key).or_insert_with(|| {
            frames.push(key);
            (frames.len() - 1) as u32
        })
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.out.thread_names.len() as u32;
        self.out.thread_names.push(name.to_owned());
        self.name_ids.insert(name.to_owned(), id);
        id
    }

    /// The thread's name, read from `/proc` the first time it is sampled.
    fn thread_name(&mut self, pid: u32, tid: u32) -> u32 {
        if let Some(&id) = self.thread_of.get(&tid) {
            return id;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default();
        let id = self.name_id(comm.trim_end());
        self.thread_of.insert(tid, id);
        id
    }

    /// Hands over what was collected.
    pub fn finish(self) -> Collected {
        self.out
    }
}
