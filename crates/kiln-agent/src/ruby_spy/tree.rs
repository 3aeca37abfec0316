//! The processes of a target, read from `/proc`: whether one runs a Ruby
//! interpreter yet, and whether it is still there.

use std::path::Path;

/// Whether `pid` runs Ruby: its executable is named `ruby*` (`/usr/bin/ruby3.1`,
/// an rbenv `.../bin/ruby`) or it has mapped a `libruby`. Anything else is
/// left alone, so rbspy never parses the binaries of a shell or `make`.
pub(super) fn runs_ruby(pid: u32) -> bool {
    let named_ruby = |path: &Path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("ruby"));
    if std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| named_ruby(&exe)) {
        return true;
    }
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    maps.lines().any(|line| line.contains("/libruby"))
}

/// The executable of `pid`, for error messages.
pub(super) fn executable(pid: u32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe")).map_or_else(|_| "?".into(), |p| p.display().to_string())
}

/// Whether `pid` still exists (a zombie counts until it is reaped).
pub(super) fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as i32, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}
