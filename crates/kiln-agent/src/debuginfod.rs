//! Debug files fetched by build id from the servers in `DEBUGINFOD_URLS`,
//! through elfutils' own client library (`libdebuginfod.so.1`, loaded only
//! when that variable is set): it speaks HTTP and HTTPS, honours
//! `DEBUGINFOD_CACHE_PATH` and `DEBUGINFOD_TIMEOUT`, and caches what it
//! fetched for every tool on the machine. Asked only for files that carry
//! no symbols of their own.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::{Path, PathBuf};

use object::Object;

type Begin = unsafe extern "C" fn() -> *mut c_void;
type FindDebuginfo = unsafe extern "C" fn(*mut c_void, *const u8, c_int, *mut *mut c_char) -> c_int;
type End = unsafe extern "C" fn(*mut c_void);

/// A loaded debuginfod client; `None` from [`Debuginfod::from_env`] when
/// `DEBUGINFOD_URLS` is unset or empty, or the library is not installed.
pub struct Debuginfod {
    client: *mut c_void,
    find: FindDebuginfo,
    end: End,
}

impl Debuginfod {
    pub fn from_env() -> Option<Debuginfod> {
        std::env::var("DEBUGINFOD_URLS").ok().filter(|u| !u.trim().is_empty())?;
        // SAFETY: dlopen/dlsym with NUL-terminated names; each symbol is cast
        // to the type `debuginfod.h` declares for it.
        unsafe {
            let lib = libc::dlopen(c"libdebuginfod.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
            if lib.is_null() {
                return None;
            }
            let symbol = |name: &CStr| Some(libc::dlsym(lib, name.as_ptr())).filter(|p| !p.is_null());
            let begin: Begin = std::mem::transmute(symbol(c"debuginfod_begin")?);
            let find: FindDebuginfo = std::mem::transmute(symbol(c"debuginfod_find_debuginfo")?);
            let end: End = std::mem::transmute(symbol(c"debuginfod_end")?);
            let client = begin();
            (!client.is_null()).then_some(Debuginfod { client, find, end })
        }
    }

    /// The debug file of `binary` (whose build id is `build_id`) when it
    /// needs one: it has no `.symtab` and no DWARF.
    pub fn debug_file_for(&self, binary: &Path, build_id: &[u8]) -> Option<PathBuf> {
        if has_own_symbols(binary) {
            return None;
        }
        self.fetch(build_id)
    }

    fn fetch(&self, build_id: &[u8]) -> Option<PathBuf> {
        let mut path: *mut c_char = std::ptr::null_mut();
        let len = c_int::try_from(build_id.len()).ok()?;
        // SAFETY: the client is live; the library writes a malloc'ed path
        // on success and returns an open descriptor we close.
        let fd = unsafe { (self.find)(self.client, build_id.as_ptr(), len, &mut path) };
        if fd < 0 || path.is_null() {
            return None;
        }
        // SAFETY: on success `path` is a NUL-terminated malloc'ed string.
        unsafe {
            libc::close(fd);
            let found = PathBuf::from(CStr::from_ptr(path).to_string_lossy().into_owned());
            libc::free(path.cast());
            Some(found)
        }
    }
}

impl Drop for Debuginfod {
    fn drop(&mut self) {
        // SAFETY: the client came from debuginfod_begin and is ended once.
        unsafe { (self.end)(self.client) }
    }
}

/// True when the file has a `.symtab` or DWARF of its own.
fn has_own_symbols(binary: &Path) -> bool {
    let Ok(file) = std::fs::File::open(binary) else { return false };
    // SAFETY: mapped read-only for the duration of this check.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else { return false };
    let Ok(file) = object::File::parse(&map[..]) else { return false };
    file.section_by_name(".symtab").is_some() || file.section_by_name(".debug_info").is_some()
}
