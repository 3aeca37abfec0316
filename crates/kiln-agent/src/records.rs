//! Parsing the records drained from a ring buffer. The layout follows the
//! attribute of `perf_event.rs` (`SAMPLE_TYPE`, `REGS_MASK`, `sample_id_all`).

use perf_event_open_sys::bindings as sys;

/// The user registers of a sample, in `REGS_MASK` bit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRegs {
    pub bp: u64,
    pub sp: u64,
    pub ip: u64,
}

/// One parsed record; slices borrow the drained bytes.
#[derive(Debug)]
pub enum Record<'a> {
    /// A `cpu-clock` sample. `regs` is `None` for a kernel thread or when the
    /// kernel could not read the user state. `kernel` holds the kernel call
    /// chain (native-endian u64s, leaf first, with perf's context markers).
    Sample { pid: u32, tid: u32, ip: u64, kernel: &'a [u8], regs: Option<UserRegs>, stack: &'a [u8] },
    /// A new mapping; only executable file mappings matter to us.
    Mmap { pid: u32, start: u64, len: u64, pgoff: u64, executable: bool, path: &'a str },
    /// A thread was named, or (with `exec`) a process replaced its image.
    Comm { pid: u32, tid: u32, exec: bool, name: &'a str },
    /// A thread or process was created.
    Fork { pid: u32, ppid: u32 },
    /// A thread or process exited.
    Exit { pid: u32, tid: u32 },
    /// The kernel dropped this many records because the buffer was full.
    Lost { count: u64 },
}

/// A record with the time it happened (from `sample_id_all`), for ordering
/// records drained from different CPUs.
pub struct Timed<'a> {
    pub time: u64,
    pub record: Record<'a>,
}

/// Splits drained bytes into records, skipping kinds we do not use.
pub fn parse_all<'a>(bytes: &'a [u8], out: &mut Vec<Timed<'a>>) {
    let mut rest = bytes;
    while rest.len() >= 8 {
        let kind = u32::from_ne_bytes(rest[0..4].try_into().unwrap_or_default());
        let misc = u16::from_ne_bytes(rest[4..6].try_into().unwrap_or_default());
        let size = usize::from(u16::from_ne_bytes(rest[6..8].try_into().unwrap_or_default()));
        if size < 8 || size > rest.len() {
            return;
        }
        if let Some(timed) = parse_one(kind, misc, &rest[8..size]) {
            out.push(timed);
        }
        rest = &rest[size..];
    }
}

fn parse_one(kind: u32, misc: u16, body: &[u8]) -> Option<Timed<'_>> {
    let mut r = Reader { bytes: body, pos: 0 };
    let record = match kind {
        sys::PERF_RECORD_SAMPLE => return parse_sample(&mut r),
        sys::PERF_RECORD_MMAP2 => parse_mmap2(&mut r)?,
        sys::PERF_RECORD_COMM => {
            let (pid, tid) = (r.u32()?, r.u32()?);
            let exec = u32::from(misc) & sys::PERF_RECORD_MISC_COMM_EXEC != 0;
            Record::Comm { pid, tid, exec, name: r.c_str()? }
        }
        sys::PERF_RECORD_FORK => {
            let (pid, ppid) = (r.u32()?, r.u32()?);
            Record::Fork { pid, ppid }
        }
        sys::PERF_RECORD_EXIT => {
            let (pid, _ppid, tid) = (r.u32()?, r.u32()?, r.u32()?);
            Record::Exit { pid, tid }
        }
        sys::PERF_RECORD_LOST => {
            let _id = r.u64()?;
            Record::Lost { count: r.u64()? }
        }
        _ => return None,
    };
    // sample_id_all appends {pid, tid, time} to every non-sample record.
    let time = trailing_time(body).unwrap_or(0);
    Some(Timed { time, record })
}

fn trailing_time(body: &[u8]) -> Option<u64> {
    let at = body.len().checked_sub(8)?;
    Some(u64::from_ne_bytes(body[at..].try_into().ok()?))
}

fn parse_sample<'a>(r: &mut Reader<'a>) -> Option<Timed<'a>> {
    let ip = r.u64()?;
    let (pid, tid) = (r.u32()?, r.u32()?);
    let time = r.u64()?;
    let chain_len = usize::try_from(r.u64()?).ok()?;
    let kernel = r.take(chain_len.checked_mul(8)?)?;
    let abi = r.u64()?;
    let regs = if abi == u64::from(sys::PERF_SAMPLE_REGS_ABI_NONE) {
        None
    } else {
        Some(UserRegs { bp: r.u64()?, sp: r.u64()?, ip: r.u64()? })
    };
    let size = r.u64()? as usize;
    let mut stack: &[u8] = &[];
    if size > 0 {
        let data = r.take(size)?;
        let dyn_size = (r.u64()? as usize).min(size);
        stack = &data[..dyn_size];
    }
    Some(Timed { time, record: Record::Sample { pid, tid, ip, kernel, regs, stack } })
}

fn parse_mmap2<'a>(r: &mut Reader<'a>) -> Option<Record<'a>> {
    let (pid, _tid) = (r.u32()?, r.u32()?);
    let (start, len, pgoff) = (r.u64()?, r.u64()?, r.u64()?);
    r.take(24)?; // device and inode, or build id
    let prot = r.u32()?;
    let _flags = r.u32()?;
    let executable = prot & libc::PROT_EXEC as u32 != 0;
    Some(Record::Mmap { pid, start, len, pgoff, executable, path: r.c_str()? })
}

/// The kernel addresses of a sample's call chain, leaf first, without
/// perf's context markers (`PERF_CONTEXT_KERNEL`, ...).
pub fn kernel_addresses(chain: &[u8]) -> impl Iterator<Item = u64> + '_ {
    chain
        .chunks_exact(8)
        .filter_map(|b| Some(u64::from_ne_bytes(b.try_into().ok()?)))
        .filter(|&a| a < sys::PERF_CONTEXT_MAX)
}

/// A bounds-checked cursor over a record body.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A NUL-terminated string padded to 8 bytes.
    fn c_str(&mut self) -> Option<&'a str> {
        let rest = self.bytes.get(self.pos..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        let padded = (len + 1).div_ceil(8) * 8;
        self.take(padded.min(rest.len()))?;
        std::str::from_utf8(&rest[..len]).ok()
    }
}
