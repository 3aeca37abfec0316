//! The vDSO's ELF image, read from the sampled process's own memory
//! (`/proc/PID/mem`) and kept in a temporary file, so the symboliser and
//! the unwinder read it like any other mapped file. When that process is
//! gone or cannot be read, this process's vDSO stands in: one kernel maps
//! one image into every process.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

use tempfile::NamedTempFile;

/// The vDSO is two pages today; anything much larger is not a vDSO.
const MAX_LEN: u64 = 1 << 20;

/// A file holding the image mapped at `start..start + len` in `pid`.
pub fn copy_image(pid: u32, start: u64, len: u64) -> Option<NamedTempFile> {
    let image = read_image(pid, start, len).or_else(own_image)?;
    let mut file = tempfile::Builder::new().prefix("kiln-vdso-").suffix(".so").tempfile().ok()?;
    file.write_all(&image).ok()?;
    Some(file)
}

fn read_image(pid: u32, start: u64, len: u64) -> Option<Vec<u8>> {
    if len == 0 || len > MAX_LEN {
        return None;
    }
    let mem = File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut image = vec![0; usize::try_from(len).ok()?];
    mem.read_exact_at(&mut image, start).ok()?;
    image.starts_with(b"\x7fELF").then_some(image)
}

/// This process's vDSO, found through the auxiliary vector and
/// `/proc/self/maps`.
fn own_image() -> Option<Vec<u8>> {
    // SAFETY: getauxval only reads the auxiliary vector.
    let base = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) };
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let line = maps.lines().find(|l| l.ends_with(crate::objects::VDSO))?;
    let (start, end) = line.split_whitespace().next()?.split_once('-')?;
    let (start, end) = (u64::from_str_radix(start, 16).ok()?, u64::from_str_radix(end, 16).ok()?);
    (start == base).then_some(())?;
    read_image(std::process::id(), start, end - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vdso_image_copied_from_a_dead_process_is_this_kernels_image() {
        let copy = copy_image(u32::MAX, 0x1000, 0x2000).expect("falls back to our own vDSO");
        let bytes = std::fs::read(copy.path()).expect("read the copy");
        assert!(bytes.starts_with(b"\x7fELF"), "the copy is an ELF image");
        assert_eq!(Some(bytes), own_image());
    }
}
