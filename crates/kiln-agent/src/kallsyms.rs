//! Kernel function names from `/proc/kallsyms`, as perf names kernel
//! frames: the text symbol (`t`, `T`, `w`, `W`) at or below an address.
//! The kernel shows the real addresses only to privileged readers
//! (`kptr_restrict`, `perf_event_paranoid`); otherwise every address reads
//! as zero and kernel frames stay one `[kernel]` frame.

/// The kernel's text symbols, sorted by address.
pub struct Kallsyms {
    starts: Vec<u64>,
    names: Vec<String>,
}

impl Kallsyms {
    /// Reads `/proc/kallsyms`; `None` when it is unreadable or its
    /// addresses are hidden from this process.
    pub fn load() -> Option<Kallsyms> {
        Kallsyms::parse(&std::fs::read_to_string("/proc/kallsyms").ok()?)
    }

    /// `ADDRESS TYPE NAME [MODULE]` lines; `None` without one real address.
    fn parse(text: &str) -> Option<Kallsyms> {
        let mut symbols: Vec<(u64, &str)> = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let address = u64::from_str_radix(fields.next()?, 16).ok()?;
                let kind = fields.next()?;
                let name = fields.next()?;
                matches!(kind, "t" | "T" | "w" | "W").then_some((address, name))
            })
            .filter(|&(address, _)| address != 0)
            .collect();
        if symbols.is_empty() {
            return None;
        }
        symbols.sort_by_key(|&(address, _)| address);
        let (starts, names) = symbols.into_iter().map(|(a, n)| (a, n.to_owned())).unzip();
        Some(Kallsyms { starts, names })
    }

    /// The function `address` is in.
    pub fn find(&self, address: u64) -> Option<&str> {
        let index = self.starts.partition_point(|&start| start <= address).checked_sub(1)?;
        Some(&self.names[index])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_addresses_name_the_text_symbol_at_or_below_them() {
        let text = "ffffffff81000000 T _stext\nffffffff81001000 t do_syscall_64\n\
                    ffffffff81002000 D some_data\nffffffff81003000 T vfs_read\t[ext4]\n";
        let table = Kallsyms::parse(text).expect("real addresses");
        assert_eq!(table.find(0xffffffff81001010), Some("do_syscall_64"));
        assert_eq!(table.find(0xffffffff81002010), Some("do_syscall_64"), "data symbols do not end functions");
        assert_eq!(table.find(0xffffffff81003001), Some("vfs_read"));
        assert_eq!(table.find(0x1000), None);
    }

    #[test]
    fn hidden_addresses_give_no_table() {
        assert!(Kallsyms::parse("0000000000000000 T _stext\n0000000000000000 t do_syscall_64\n").is_none());
    }
}
