//! The whole host's events: one `cpu-clock` event per CPU for every task
//! (`pid = -1`), each with its own ring buffer. Kernel samples (with their
//! kernel call chains) are kept when the kernel allows them.

use crate::error::{Error, Result};
use crate::events::OpenEvents;
use crate::fd_limit::raise_fd_limit;
use crate::perf_event::{cpu_clock_attr, online_cpus, open_system_wide};
use crate::ring::{Ring, DATA_PAGES};

/// Opens one system-wide event per online CPU at `rate_hz`.
pub fn open_host_events(rate_hz: u32) -> Result<OpenEvents> {
    raise_fd_limit();
    let wakeup = (DATA_PAGES * 4096 / 2) as u32;
    let mut events = OpenEvents { rings: Vec::new(), others: Vec::new() };
    let mut attr = None;
    for cpu in online_cpus() {
        let fd = match attr {
            Some(a) => open_system_wide(&a, cpu).map_err(|source| perf_error(cpu, source))?,
            None => {
                let with_kernel = cpu_clock_attr(rate_hz, true, wakeup);
                match open_system_wide(&with_kernel, cpu) {
                    Ok(fd) => {
                        attr = Some(with_kernel);
                        fd
                    }
                    Err(_) => {
                        let user_only = cpu_clock_attr(rate_hz, false, wakeup);
                        let fd = open_system_wide(&user_only, cpu).map_err(|source| perf_error(cpu, source))?;
                        attr = Some(user_only);
                        fd
                    }
                }
            }
        };
        events.rings.push(Ring::map(fd)?);
    }
    Ok(events)
}

fn perf_error(cpu: i32, source: std::io::Error) -> Error {
    Error::HostPerfOpen { cpu, source }
}
