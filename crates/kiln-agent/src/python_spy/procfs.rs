//! Whether a CPython interpreter is mapped into a process.

/// Whether a CPython interpreter (a `python*` executable or a `libpython*`
/// library) is mapped into the process: cheap enough to poll, and a
/// precondition for py-spy, which looks for exactly these mappings.
pub fn maps_python(pid: u32) -> bool {
    let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return false;
    };
    maps.lines().filter_map(|line| line.split_ascii_whitespace().nth(5)).any(|path| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.starts_with("python") || file.starts_with("libpython")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_not_python() {
        assert!(!maps_python(std::process::id()));
    }
}
