//! JIT perf maps (`/tmp/perf-PID.map`, the convention of perf's
//! `jit-interface.txt`, written by Node's `--perf-basic-prof` and the JVM's
//! perf agents): one `START SIZE NAME` line per compiled function, hex
//! numbers over actual addresses. A later line for the same range wins, as
//! the JIT recompiled it.

/// Ranges overlap only where a function was recompiled in place, so a miss
/// looks back over this many earlier starts at most.
const MAX_OVERLAP: usize = 8;

/// A perf map's functions, by start address.
pub struct PerfMap {
    /// `(start, end, name)`, sorted by start, then by line: a look-up from
    /// the end finds the latest line for a range first.
    ranges: Vec<(u64, u64, String)>,
}

impl PerfMap {
    /// Parses the map's text; malformed lines are skipped, as perf does.
    pub fn parse(text: &str) -> PerfMap {
        let mut ranges: Vec<(usize, u64, u64, String)> = text.lines().enumerate().filter_map(parse_line).collect();
        ranges.sort_by_key(|r| (r.1, r.0));
        PerfMap { ranges: ranges.into_iter().map(|(_, start, end, name)| (start, end, name)).collect() }
    }

    /// The name of the function holding `address`.
    pub fn find(&self, address: u64) -> Option<&str> {
        let after = self.ranges.partition_point(|r| r.0 <= address);
        self.ranges[..after].iter().rev().take(MAX_OVERLAP).find(|r| address < r.1).map(|r| r.2.as_str())
    }
}

fn parse_line((index, line): (usize, &str)) -> Option<(usize, u64, u64, String)> {
    let mut fields = line.splitn(3, ' ');
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    let start = hex(fields.next()?)?;
    let size = hex(fields.next()?)?;
    let name = fields.next()?.trim();
    (size > 0 && !name.is_empty()).then(|| (index, start, start.saturating_add(size), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::PerfMap;

    #[test]
    fn perf_map_names_addresses_inside_each_range_only() {
        let map = PerfMap::parse("7f0010 20 LazyCompile:*hot /app.js:3\n7f0100 0x10 Interpreter\nnonsense\n");
        assert_eq!(map.find(0x7f0010), Some("LazyCompile:*hot /app.js:3"));
        assert_eq!(map.find(0x7f002f), Some("LazyCompile:*hot /app.js:3"));
        assert_eq!(map.find(0x7f0030), None);
        assert_eq!(map.find(0x7f0105), Some("Interpreter"));
        assert_eq!(map.find(0x7f0000), None);
    }

    #[test]
    fn recompiled_function_takes_the_later_lines_name() {
        let map = PerfMap::parse("1000 100 old\n1000 100 new\n");
        assert_eq!(map.find(0x1050), Some("new"));
    }
}
