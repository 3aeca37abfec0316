//! What a sampled process is, for its profile's labels: its name (`comm`),
//! its cgroup (`/proc/PID/cgroup`) and the id of the container it runs in,
//! when the cgroup path names one (Docker, containerd, CRI-O, Podman, and
//! Kubernetes pods of any of them).

/// A process's labels, read once when it is first sampled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The kernel's name of the process (`/proc/PID/comm`, 15 bytes at most).
    pub name: String,
    /// The cgroup v2 path (else the first v1 hierarchy's), `""` when unknown.
    pub cgroup: String,
    /// The 64-hex-digit container id found in the cgroup path.
    pub container_id: Option<String>,
}

impl ProcessInfo {
    /// Reads `/proc/PID/comm` and `/proc/PID/cgroup`; empty fields when the
    /// process is gone.
    pub fn read(pid: u32) -> ProcessInfo {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let (cgroup, container_id) = parse_cgroups(&cgroups);
        ProcessInfo { name: name.trim_end().to_owned(), cgroup, container_id }
    }
}

/// `HIERARCHY:CONTROLLERS:PATH` lines: the unified (`0::`) path, else the
/// first one, and the first container id in any of them.
fn parse_cgroups(text: &str) -> (String, Option<String>) {
    let paths: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.split_once(':').and_then(|(h, rest)| Some((h, rest.split_once(':')?.1))))
        .collect();
    let unified = paths.iter().find(|(h, _)| *h == "0").or(paths.first()).map(|(_, p)| (*p).to_owned());
    let container = paths.iter().find_map(|(_, p)| container_id(p));
    (unified.unwrap_or_default(), container)
}

/// The container id in a cgroup path: a component that is, or ends with
/// `-` and, 64 hex digits, with an optional `.scope` (`docker-ID.scope`,
/// `cri-containerd-ID.scope`, `crio-ID.scope`, `libpod-ID.scope`,
/// `/docker/ID`, `/kubepods/.../podUID/ID`).
fn container_id(path: &str) -> Option<String> {
    path.split('/').rev().find_map(|component| {
        let component = component.strip_suffix(".scope").unwrap_or(component);
        let id = component.rsplit('-').next()?;
        (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

    #[test]
    fn container_ids_are_found_in_every_runtimes_cgroup_path() {
        for path in [
            format!("/system.slice/docker-{ID}.scope"),
            format!("/docker/{ID}"),
            format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-{ID}.scope"
            ),
            format!("/kubepods/besteffort/pod5678/{ID}"),
            format!("/machine.slice/libpod-{ID}.scope"),
            format!("/kubepods.slice/crio-{ID}.scope"),
        ] {
            assert_eq!(container_id(&path).as_deref(), Some(ID), "{path}");
        }
        assert_eq!(container_id("/user.slice/user-0.slice/session-3.scope"), None);
        assert_eq!(container_id("/"), None);
    }

    #[test]
    fn the_unified_cgroup_path_is_kept_and_v1_lines_still_give_the_container() {
        let v2 = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(parse_cgroups(&v2), (format!("/system.slice/docker-{ID}.scope"), Some(ID.to_owned())));
        let v1 = format!("12:memory:/docker/{ID}\n11:cpu,cpuacct:/docker/{ID}\n");
        assert_eq!(parse_cgroups(&v1), (format!("/docker/{ID}"), Some(ID.to_owned())));
        assert_eq!(parse_cgroups("0::/init.scope\n"), ("/init.scope".to_owned(), None));
    }

    #[test]
    fn this_process_reads_its_own_name_and_cgroup() {
        let me = ProcessInfo::read(std::process::id());
        let comm = std::fs::read_to_string("/proc/self/comm").expect("comm");
        assert_eq!(me.name, comm.trim_end());
        assert!(me.cgroup.starts_with('/'), "{me:?}");
    }
}
