//! One sampled process: its executable mappings and a framehop unwinder
//! that knows each mapped file's `.eh_frame`.

use std::collections::BTreeMap;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::Unwinder;

use crate::elf_object::FileBytes;
use crate::objects::{ObjectId, Objects, UNKNOWN};
use crate::records::UserRegs;

/// Frames kept per stack; deeper stacks lose their outermost frames.
const MAX_DEPTH: usize = 512;

/// An executable mapping: `[start, end)` of `object`, whose stated address
/// is the actual address minus `bias`.
#[derive(Clone, Copy)]
struct Mapping {
    end: u64,
    bias: u64,
    object: ObjectId,
}

/// A process's address space as far as sampling needs it.
pub struct Process {
    pid: u32,
    maps: BTreeMap<u64, Mapping>,
    unwinder: UnwinderX86_64<FileBytes>,
    cache: CacheX86_64,
    /// Set once the maps were read again for an unknown address.
    rescanned: bool,
}

impl Process {
    /// An empty address space for process `pid`.
    pub fn new(pid: u32) -> Process {
        Process {
            pid,
            maps: BTreeMap::new(),
            unwinder: UnwinderX86_64::new(),
            cache: CacheX86_64::new(),
            rescanned: false,
        }
    }

    /// The executable file mappings listed in `/proc/PID/maps`.
    pub fn from_proc(pid: u32, objects: &mut Objects) -> Process {
        let mut process = Process::new(pid);
        process.read_maps(objects);
        process
    }

    fn read_maps(&mut self, objects: &mut Objects) {
        let text = std::fs::read_to_string(format!("/proc/{}/maps", self.pid)).unwrap_or_default();
        for line in text.lines() {
            if let Some((start, end, pgoff, path)) = parse_maps_line(line) {
                self.add_mapping(objects, start, end - start, pgoff, path);
            }
        }
    }

    /// Reads `/proc/PID/maps` again, the first time only: true when it did.
    pub fn rescan(&mut self, objects: &mut Objects) -> bool {
        if self.rescanned {
            return false;
        }
        self.rescanned = true;
        self.read_maps(objects);
        true
    }

    /// A child `pid` created by `fork`: the same mappings, a fresh unwind cache.
    pub fn fork(&self, pid: u32) -> Process {
        Process {
            pid,
            maps: self.maps.clone(),
            unwinder: self.unwinder.clone(),
            cache: CacheX86_64::new(),
            rescanned: false,
        }
    }

    /// Records an executable mapping of `path`, replacing any it overlaps.
    pub fn add_mapping(&mut self, objects: &mut Objects, start: u64, len: u64, pgoff: u64, path: &str) {
        let end = start.saturating_add(len);
        let overlapping: Vec<u64> = self.maps.range(..end).filter(|(_, m)| m.end > start).map(|(&s, _)| s).collect();
        for s in overlapping {
            self.maps.remove(&s);
            self.unwinder.remove_module(s);
        }
        let object = objects.intern_mapping(self.pid, start, len, path);
        let elf = objects.get(object).and_then(|e| e.elf.clone());
        let bias = elf.as_ref().and_then(|e| e.bias(start, pgoff)).unwrap_or(start.wrapping_sub(pgoff));
        if let Some(elf) = elf {
            self.unwinder.add_module(elf.module(path, start..end, bias));
        }
        self.maps.insert(start, Mapping { end, bias, object });
    }

    /// The object and stated address behind an actual address. An address
    /// in no mapped file is looked up later in the process's JIT perf map
    /// when it has one, else it is [`UNKNOWN`].
    pub fn resolve(&self, objects: &mut Objects, avma: u64) -> (ObjectId, u64) {
        match self.maps.range(..=avma).next_back() {
            Some((_, m)) if avma < m.end => (m.object, avma.wrapping_sub(m.bias)),
            _ => (objects.perf_map(self.pid).unwrap_or(UNKNOWN), avma),
        }
    }

    /// Unwinds a sample into actual lookup addresses, leaf first: `.eh_frame`
    /// CFI where the module has it, frame pointers otherwise.
    pub fn unwind(&mut self, regs: UserRegs, stack: &[u8], out: &mut Vec<u64>) {
        let sp = regs.sp;
        let mut read_stack = |addr: u64| -> Result<u64, ()> {
            let offset = usize::try_from(addr.checked_sub(sp).ok_or(())?).map_err(|_| ())?;
            let bytes = stack.get(offset..offset.checked_add(8).ok_or(())?).ok_or(())?;
            Ok(u64::from_ne_bytes(bytes.try_into().map_err(|_| ())?))
        };
        let start = UnwindRegsX86_64::new(regs.ip, regs.sp, regs.bp);
        let mut frames = self.unwinder.iter_frames(regs.ip, start, &mut self.cache, &mut read_stack);
        while let Ok(Some(frame)) = frames.next() {
            out.push(frame.address_for_lookup());
            if out.len() >= MAX_DEPTH {
                break;
            }
        }
    }
}

/// True for mappings worth a name: files, and the kernel's `[vdso]`.
pub fn is_named_mapping(path: &str) -> bool {
    path.starts_with('/') || path == "[vdso]"
}

/// `start-end perms offset dev inode path` for executable file mappings.
fn parse_maps_line(line: &str) -> Option<(u64, u64, u64, &str)> {
    let mut fields = line.split_whitespace();
    let (range, perms, offset) = (fields.next()?, fields.next()?, fields.next()?);
    let path = fields.nth(2)?;
    if !perms.contains('x') || !is_named_mapping(path) {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    Some((hex(start)?, hex(end)?, hex(offset)?, path))
}

#[cfg(test)]
mod tests {
    use super::parse_maps_line;

    #[test]
    fn maps_lines_keep_executable_files_only() {
        let line = "7f00a000-7f00b000 r-xp 00002000 08:01 1234   /usr/lib/libc.so.6";
        assert_eq!(parse_maps_line(line), Some((0x7f00a000, 0x7f00b000, 0x2000, "/usr/lib/libc.so.6")));
        assert_eq!(parse_maps_line("7f00a000-7f00b000 rw-p 00000000 00:00 0"), None);
        assert_eq!(
            parse_maps_line("7ffd000-7ffe000 r-xp 00000000 00:00 0  [vdso]"),
            Some((0x7ffd000, 0x7ffe000, 0, "[vdso]"))
        );
        assert_eq!(parse_maps_line("7ffd000-7ffe000 r-xp 00000000 00:00 0  [heap]"), None);
    }
}
