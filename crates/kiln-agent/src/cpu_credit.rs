//! Turns CPU time into samples, so a tick records a thread only for CPU it
//! really used: a thread that ran a whole period since the last tick earns
//! one sample, a sleeping one none, one that could not run (waiting for a
//! core on a busy machine, though "runnable") none either. Fractions carry
//! over to later ticks, and the periods of ticks the spy missed are paid at
//! the next one: samples = rate x CPU time.
//!
//! The Python spy pays each thread for its own CPU time; the Ruby spy, which
//! sees one thread at a time (the holder of the interpreter lock), pays the
//! sampled thread for the whole process's.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use crate::proc_file::ProcFile;
use crate::proc_stat::fields_after_comm;

/// One thread's (or process's) CPU time at the last tick, and what it has not
/// been paid yet.
struct Account {
    last_ns: u64,
    credit_ns: u64,
    tick: u64,
    /// Where a thread's CPU time is read (processes have none).
    clock: Option<ThreadClock>,
}

/// The CPU accounts of one process's threads (or of processes, keyed by pid).
pub struct CpuCredit {
    period_ns: u64,
    tick: u64,
    threads: FxHashMap<u64, Account>,
}

impl CpuCredit {
    /// Accounts paying one sample per `period_ns` of CPU time.
    pub fn new(period_ns: u64) -> CpuCredit {
        CpuCredit { period_ns: period_ns.max(1), tick: 0, threads: FxHashMap::default() }
    }

    /// Starts a tick: threads not looked at since the last one are forgotten.
    pub fn begin_tick(&mut self) {
        let previous = self.tick;
        self.threads.retain(|_, a| a.tick == previous);
        self.tick += 1;
    }

    /// The samples thread `tid` of `pid` earned since the last tick (none the
    /// first time it is seen, or when its CPU time cannot be read).
    pub fn due(&mut self, pid: u32, tid: u64) -> u64 {
        let tick = self.tick;
        let now_ns = match self.threads.entry(tid) {
            Entry::Occupied(account) => account.into_mut().clock.as_mut().and_then(ThreadClock::read_ns),
            Entry::Vacant(slot) => {
                if let Some(mut clock) = ThreadClock::open(pid, tid) {
                    if let Some(last_ns) = clock.read_ns() {
                        slot.insert(Account { last_ns, credit_ns: 0, tick, clock: Some(clock) });
                    }
                }
                return 0;
            }
        };
        now_ns.map_or(0, |now_ns| self.pay(tid, now_ns))
    }

    /// The samples process `pid` earned since the last call, for the CPU
    /// time of all its threads, ended ones included (none the first time,
    /// or when its CPU time cannot be read). Never mixed with [`Self::due`]
    /// in one `CpuCredit`.
    pub fn due_process(&mut self, pid: u32) -> u64 {
        let Some(now_ns) = process_cpu_ns(pid) else {
            return 0;
        };
        self.pay(u64::from(pid), now_ns)
    }

    fn pay(&mut self, tid: u64, now_ns: u64) -> u64 {
        let tick = self.tick;
        let account = self.threads.entry(tid).or_insert(Account { last_ns: now_ns, credit_ns: 0, tick, clock: None });
        account.credit_ns += now_ns.saturating_sub(account.last_ns);
        account.last_ns = now_ns;
        account.tick = tick;
        let samples = account.credit_ns / self.period_ns;
        account.credit_ns %= self.period_ns;
        samples
    }
}

/// A thread's CPU time, kept open: the scheduler's nanoseconds
/// (`schedstat`), else user + system clock ticks from `stat`.
enum ThreadClock {
    Schedstat(ProcFile),
    Stat(ProcFile),
}

impl ThreadClock {
    fn open(pid: u32, tid: u64) -> Option<ThreadClock> {
        let task = format!("/proc/{pid}/task/{tid}");
        ProcFile::open(&format!("{task}/schedstat"))
            .map(ThreadClock::Schedstat)
            .or_else(|| ProcFile::open(&format!("{task}/stat")).map(ThreadClock::Stat))
    }

    fn read_ns(&mut self) -> Option<u64> {
        match self {
            ThreadClock::Schedstat(file) => file.read()?.split_ascii_whitespace().next()?.parse().ok(),
            ThreadClock::Stat(file) => stat_cpu_ns(file.read()?),
        }
    }
}

/// User + system time from a task's `stat` text.
fn stat_cpu_ns(text: &str) -> Option<u64> {
    let fields = fields_after_comm(text)?;
    // utime and stime are fields 14 and 15 of proc(5); fields[0] is field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok().filter(|&hz| hz > 0)?;
    Some(ticks * 1_000_000_000 / hz)
}

/// The process's CPU time, all threads together: the kernel's CPU clock of
/// the process (`/proc/PID/schedstat` has the main thread's only).
fn process_cpu_ns(pid: u32) -> Option<u64> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid place for the clock id.
    if unsafe { libc::clock_getcpuclockid(i32::try_from(pid).ok()?, &mut clock) } != 0 {
        return None;
    }
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid place for the time.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return None;
    }
    Some(u64::try_from(now.tv_sec).ok()? * 1_000_000_000 + u64::try_from(now.tv_nsec).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Burns CPU the optimizer cannot remove; the sum of `0..iterations`.
    fn spin(iterations: u64) -> u64 {
        (0..iterations).fold(0u64, |x, i| x.wrapping_add(std::hint::black_box(i)))
    }

    #[test]
    fn cpu_time_is_paid_in_periods_with_fractions_carried_and_idle_threads_unpaid() {
        let mut credit = CpuCredit::new(10);
        credit.begin_tick();
        assert_eq!(credit.pay(1, 100), 0, "first sight sets the baseline");
        assert_eq!(credit.pay(2, 500), 0);
        credit.begin_tick();
        assert_eq!(credit.pay(1, 115), 1);
        assert_eq!(credit.pay(2, 500), 0, "no CPU used, no sample");
        credit.begin_tick();
        assert_eq!(credit.pay(1, 120), 1, "5 carried + 5 new");
        assert_eq!(credit.pay(2, 530), 3, "a missed tick is paid later");
    }

    #[test]
    fn threads_gone_for_a_tick_start_over() {
        let mut credit = CpuCredit::new(10);
        credit.begin_tick();
        credit.pay(1, 0);
        credit.begin_tick();
        credit.begin_tick();
        assert_eq!(credit.pay(1, 1000), 0);
    }

    #[test]
    fn our_own_cpu_time_is_readable_and_grows() {
        let me = std::process::id();
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u64;
        let mut clock = ThreadClock::open(me, tid).expect("this thread's clock");
        let before = clock.read_ns().expect("this thread's cpu");
        assert!(spin(20_000_000) > 0);
        assert!(clock.read_ns().expect("again") > before, "the open file reads the time anew");
    }

    #[test]
    fn without_schedstat_the_clock_reads_user_and_system_ticks_from_stat() {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let file = ProcFile::open(&format!("/proc/{}/task/{tid}/stat", std::process::id())).expect("open stat");
        let mut clock = ThreadClock::Stat(file);
        let before = clock.read_ns().expect("ticks");
        // Spin for 100 ms of this thread's CPU time (the kernel's own clock),
        // not of wall time, so a loaded machine cannot starve the test.
        let started = thread_cpu_ns();
        let mut x = 0u64;
        while thread_cpu_ns() - started < 100_000_000 {
            x = x.wrapping_add(spin(1_000));
        }
        assert!(x > 0);
        let spent = clock.read_ns().expect("ticks again") - before;
        assert!((50_000_000..=200_000_000).contains(&spent), "100 ms of spinning read as {spent} ns");
    }

    /// This thread's CPU time from `CLOCK_THREAD_CPUTIME_ID`.
    fn thread_cpu_ns() -> u64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid timespec for the call to write.
        assert_eq!(unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) }, 0);
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    #[test]
    fn a_process_cpu_time_counts_its_other_threads() {
        let me = std::process::id();
        let before = process_cpu_ns(me).expect("this process's cpu");
        let spent = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() } as u64;
            let mut clock = ThreadClock::open(me, tid).expect("the helper's clock");
            let start = clock.read_ns().expect("the helper's cpu");
            assert!(spin(50_000_000) > 0);
            clock.read_ns().expect("again") - start
        })
        .join()
        .expect("helper thread");
        assert!(spent > 0);
        assert!(process_cpu_ns(me).expect("again") - before >= spent, "an ended thread's CPU time stays counted");
    }
}
