//! The separate debug file of a binary, found as perf finds it: by build id
//! under `/usr/lib/debug/.build-id/` (Debian's `-dbg`/`-dbgsym` packages),
//! else fetched through debuginfod when `DEBUGINFOD_URLS` is set and the
//! binary has no symbols of its own.

use std::path::{Path, PathBuf};

use blazesym::helper::read_elf_build_id;

use crate::debuginfod::Debuginfod;

/// Finds debug files for the binaries of one symbolisation.
pub struct DebugFiles {
    debuginfod: Option<Debuginfod>,
}

impl DebugFiles {
    pub fn from_env() -> DebugFiles {
        DebugFiles { debuginfod: Debuginfod::from_env() }
    }

    /// The debug file of `binary`, when there is one.
    pub fn find(&self, binary: &Path) -> Option<PathBuf> {
        let build_id = read_elf_build_id(binary).ok()??;
        let local = by_build_id(&build_id);
        if local.is_file() {
            return Some(local);
        }
        self.debuginfod.as_ref().and_then(|d| d.debug_file_for(binary, &build_id))
    }
}

/// `/usr/lib/debug/.build-id/xx/yyyy.debug` for build id `xxyyyy`.
fn by_build_id(build_id: &[u8]) -> PathBuf {
    let hex: String = build_id.iter().map(|b| format!("{b:02x}")).collect();
    let (dir, rest) = hex.split_at(2.min(hex.len()));
    PathBuf::from(format!("/usr/lib/debug/.build-id/{dir}/{rest}.debug"))
}
