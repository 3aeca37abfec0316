//! ELF files as the sampler needs them: load segments (to turn a mapping's
//! address into the file's own virtual addresses) and the unwind sections
//! handed to framehop, all borrowed from one shared memory map.

use std::ops::{Deref, Range};
use std::path::Path;
use std::sync::Arc;

use framehop::{ExplicitModuleSectionInfo, Module};
use memmap2::Mmap;
use object::{Object, ObjectSection, ObjectSegment, SegmentFlags};

/// What framehop keeps for each section: a byte range of the mapped file,
/// or the decompressed bytes of a compressed section (Go links its
/// `.debug_frame` zlib-compressed).
#[derive(Clone)]
pub enum FileBytes {
    Mapped { map: Arc<Mmap>, range: Range<usize> },
    Decompressed(Arc<[u8]>),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped { map, range } => &map[range.clone()],
            FileBytes::Decompressed(bytes) => bytes,
        }
    }
}

/// A section's address range as the file states it (SVMA) and its bytes.
#[derive(Clone)]
struct Section {
    svma: Range<u64>,
    file: Range<usize>,
    /// Set when the section is compressed in the file.
    decompressed: Option<Arc<[u8]>>,
}

/// A `PT_LOAD` segment.
#[derive(Clone, Copy)]
struct Load {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    executable: bool,
}

/// The granularity of `mmap`: a segment is mapped from its offset rounded
/// down to a page, so a mapping's `pgoff` may lie before the segment.
const PAGE: u64 = 4096;

/// A parsed ELF file, shared by every process that maps it.
pub struct ElfObject {
    map: Arc<Mmap>,
    loads: Vec<Load>,
    text: Option<Section>,
    eh_frame: Option<Section>,
    eh_frame_hdr: Option<Section>,
    debug_frame: Option<Section>,
    got: Option<Section>,
}

impl ElfObject {
    /// Maps and parses `path`; `None` when it is not a readable ELF file.
    pub fn open(path: &Path) -> Option<ElfObject> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: the file is mapped read-only; like every profiler we assume
        // loaded binaries are not truncated while we read them.
        let map = Arc::new(unsafe { Mmap::map(&file) }.ok()?);
        let parsed = object::File::parse(&map[..]).ok()?;
        let loads = parsed
            .segments()
            .map(|s| {
                let (offset, filesz) = s.file_range();
                let executable =
                    matches!(s.flags(), SegmentFlags::Elf { p_flags, .. } if p_flags.contains(object::elf::PF_X));
                Load { offset, vaddr: s.address(), filesz, executable }
            })
            .collect();
        let section = |name: &str| section_of(&parsed, name, map.len());
        Some(ElfObject {
            loads,
            text: section(".text"),
            eh_frame: section(".eh_frame"),
            eh_frame_hdr: section(".eh_frame_hdr"),
            debug_frame: section(".debug_frame"),
            got: section(".got"),
            map: Arc::clone(&map),
        })
    }

    /// The load bias of an executable mapping of this file at `start` from
    /// file offset `pgoff`: actual address = stated address (SVMA) + bias.
    ///
    /// The segment is the executable `PT_LOAD` whose page-rounded file range
    /// holds `pgoff`. lld does not page-align segments in the file (`R E` at
    /// offset 0xb35800, address 0xb36800), so the mapping starts at 0xb35000
    /// inside the read-only segment before it too; taking that one put every
    /// address 0x1000 off, in another function.
    pub fn bias(&self, start: u64, pgoff: u64) -> Option<u64> {
        let holds = |l: &&Load| l.offset.saturating_sub(pgoff) < PAGE && pgoff < l.offset + l.filesz.max(1);
        let load = self.loads.iter().filter(holds).max_by_key(|l| (l.executable, l.offset))?;
        let svma = load.vaddr.wrapping_sub(load.offset.wrapping_sub(pgoff));
        Some(start.wrapping_sub(svma))
    }

    /// A framehop module for a mapping `avma` of this file with `bias`.
    pub fn module(&self, name: &str, avma: Range<u64>, bias: u64) -> Module<FileBytes> {
        let info = ExplicitModuleSectionInfo {
            base_svma: 0,
            text_svma: self.text.as_ref().map(|s| s.svma.clone()),
            text: self.bytes(&self.text),
            got_svma: self.got.as_ref().map(|s| s.svma.clone()),
            eh_frame_svma: self.eh_frame.as_ref().map(|s| s.svma.clone()),
            eh_frame: self.bytes(&self.eh_frame),
            eh_frame_hdr_svma: self.eh_frame_hdr.as_ref().map(|s| s.svma.clone()),
            eh_frame_hdr: self.bytes(&self.eh_frame_hdr),
            debug_frame: self.bytes(&self.debug_frame),
            stubs_svma: None,
            stub_helper_svma: None,
            unwind_info: None,
            text_segment_svma: None,
            text_segment: None,
        };
        Module::new(name.to_owned(), avma, bias, info)
    }

    fn bytes(&self, section: &Option<Section>) -> Option<FileBytes> {
        section.as_ref().map(|s| match &s.decompressed {
            Some(bytes) => FileBytes::Decompressed(Arc::clone(bytes)),
            None => FileBytes::Mapped { map: Arc::clone(&self.map), range: s.file.clone() },
        })
    }
}

fn section_of(file: &object::File<'_>, name: &str, file_len: usize) -> Option<Section> {
    let section = file.section_by_name(name)?;
    let (offset, size) = section.file_range()?;
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    if end > file_len {
        return None;
    }
    let svma = section.address()..section.address() + section.size();
    let compressed = section.compressed_file_range().ok()?.format != object::CompressionFormat::None;
    let decompressed = if compressed { Some(Arc::from(section.uncompressed_data().ok()?.into_owned())) } else { None };
    Some(Section { svma, file: start..end, decompressed })
}

#[cfg(test)]
mod tests {
    use super::ElfObject;

    /// `(start, pgoff)` of the mappings of this test binary, from `/proc/self/maps`.
    fn own_mappings(exe: &str) -> Vec<(u64, u64, bool)> {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
        let hex = |s: &str| u64::from_str_radix(s, 16).expect("hex");
        maps.lines()
            .filter(|l| l.ends_with(exe))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (hex(f[0].split('-').next().expect("range")), hex(f[2]), f[1].contains('x'))
            })
            .collect()
    }

    #[test]
    fn lld_text_mapping_bias_is_the_load_base_not_a_page_off() {
        let exe = std::fs::read_link("/proc/self/exe").expect("exe");
        let exe = exe.to_str().expect("utf-8 path");
        let elf = ElfObject::open(exe.as_ref()).expect("own binary parses");
        let mappings = own_mappings(exe);
        let base = mappings.iter().find(|m| m.1 == 0).expect("first mapping").0;
        let &(start, pgoff, _) = mappings.iter().find(|m| m.2).expect("executable mapping");
        assert_eq!(elf.bias(start, pgoff), Some(base), "PIE text must be biased by its load base");
    }
}
