//! The table of mapped files seen during a session, each parsed once: files
//! by path, the vDSO copied out of a sampled process's memory, and JIT perf
//! maps (`/tmp/perf-PID.map`) for code in anonymous memory.

use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tempfile::NamedTempFile;

use crate::elf_object::ElfObject;
use crate::vdso;

/// Index into [`Objects`]; the `u32::MAX - n` values are pseudo-objects.
pub type ObjectId = u32;

/// An address in no known mapping (JIT code, a mapping we missed).
pub const UNKNOWN: ObjectId = u32::MAX;
/// Time spent in the kernel (a sample taken during a system call).
pub const KERNEL: ObjectId = u32::MAX - 1;

/// The name of the vDSO's mapping in `/proc/PID/maps` and mmap records.
pub const VDSO: &str = "[vdso]";

/// Where an object's symbols come from.
pub enum Backing {
    /// The ELF file at the entry's path.
    File,
    /// The vDSO's image, copied from a process into a temporary file that
    /// lives as long as the session's objects.
    Vdso(NamedTempFile),
    /// A JIT's perf map: `START SIZE NAME` lines over actual addresses.
    PerfMap,
}

/// A file seen in some process's memory map.
pub struct ObjectEntry {
    /// The name shown: the mapped path, `[vdso]`, or the perf map's path.
    pub path: String,
    pub backing: Backing,
    /// `None` when the file could not be read or is not ELF.
    pub elf: Option<Arc<ElfObject>>,
}

impl ObjectEntry {
    /// The ELF file to read symbols from; `None` for a perf map.
    pub fn elf_path(&self) -> Option<&Path> {
        match &self.backing {
            Backing::File => Some(Path::new(&self.path)),
            Backing::Vdso(file) => Some(file.path()),
            Backing::PerfMap => None,
        }
    }
}

/// Files by path, opened and parsed on first sight.
#[derive(Default)]
pub struct Objects {
    by_path: FxHashMap<String, ObjectId>,
    entries: Vec<Arc<ObjectEntry>>,
}

impl Objects {
    /// The id of the file mapped at `start..start + len` of process `pid`,
    /// parsing it the first time it is seen. The vDSO's image is read from
    /// that process's memory (the first process that shows it: every process
    /// of one kernel maps the same image).
    pub fn intern_mapping(&mut self, pid: u32, start: u64, len: u64, path: &str) -> ObjectId {
        if let Some(&id) = self.by_path.get(path) {
            return id;
        }
        let backing = match path {
            VDSO => vdso::copy_image(pid, start, len).map_or(Backing::File, Backing::Vdso),
            _ => Backing::File,
        };
        self.insert(path, backing)
    }

    /// The perf map of process `pid`, when the process wrote one.
    pub fn perf_map(&mut self, pid: u32) -> Option<ObjectId> {
        let path = format!("/tmp/perf-{pid}.map");
        if let Some(&id) = self.by_path.get(&path) {
            return Some(id);
        }
        Path::new(&path).is_file().then(|| self.insert(&path, Backing::PerfMap))
    }

    fn insert(&mut self, path: &str, backing: Backing) -> ObjectId {
        let id = self.entries.len() as ObjectId;
        let mut entry = ObjectEntry { path: path.to_owned(), backing, elf: None };
        entry.elf = entry.elf_path().and_then(ElfObject::open).map(Arc::new);
        self.entries.push(Arc::new(entry));
        self.by_path.insert(path.to_owned(), id);
        id
    }

    /// The entries known now, for a symbolizer in another thread (the
    /// copy looks entries up by id only; it interns nothing).
    pub fn snapshot(&self) -> Objects {
        Objects { by_path: FxHashMap::default(), entries: self.entries.clone() }
    }

    /// The entry behind an id; `None` for pseudo-objects.
    pub fn get(&self, id: ObjectId) -> Option<&ObjectEntry> {
        self.entries.get(id as usize).map(|e| &**e)
    }
}
