//! The table of mapped files seen during a session, each parsed once.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::elf_object::ElfObject;

/// Index into [`Objects`]; the `u32::MAX - n` values are pseudo-objects.
pub type ObjectId = u32;

/// An address in no known mapping (JIT code, a mapping we missed).
pub const UNKNOWN: ObjectId = u32::MAX;
/// Time spent in the kernel (a sample taken during a system call).
pub const KERNEL: ObjectId = u32::MAX - 1;

/// A file seen in some process's memory map.
pub struct ObjectEntry {
    pub path: String,
    /// `None` when the file could not be read or is not ELF.
    pub elf: Option<Arc<ElfObject>>,
}

/// Files by path, opened and parsed on first sight.
#[derive(Default)]
pub struct Objects {
    by_path: FxHashMap<String, ObjectId>,
    entries: Vec<ObjectEntry>,
}

impl Objects {
    /// The id of `path`, parsing the file the first time it is seen.
    pub fn intern(&mut self, path: &str) -> ObjectId {
        if let Some(&id) = self.by_path.get(path) {
            return id;
        }
        let id = self.entries.len() as ObjectId;
        let elf = ElfObject::open(path).map(Arc::new);
        self.entries.push(ObjectEntry { path: path.to_owned(), elf });
        self.by_path.insert(path.to_owned(), id);
        id
    }

    /// The entry behind an id; `None` for pseudo-objects.
    pub fn get(&self, id: ObjectId) -> Option<&ObjectEntry> {
        self.entries.get(id as usize)
    }

    /// Every entry with its id.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, &ObjectEntry)> {
        self.entries.iter().enumerate().map(|(i, e)| (i as ObjectId, e))
    }
}
