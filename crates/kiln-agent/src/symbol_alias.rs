//! perf's choice among symbols that start at one address. blazesym names an
//! address by one of them; perf (`choose_best_symbol` in its `symbol.c`)
//! prefers a sized symbol, then a non-weak one, then a global one, then the
//! fewest leading underscores, then the longest name, then the first
//! listed: `__vdso_clock_gettime` over the weak `clock_gettime`,
//! `__memmove_avx512_unaligned_erms` over `__memcpy_avx512_unaligned_erms`.

use std::cmp::Reverse;
use std::path::Path;

use object::{Object, ObjectSymbol, SymbolKind};
use rustc_hash::{FxHashMap, FxHashSet};

/// Demangled names perf gives the functions starting at each of `starts`,
/// from the file's `.symtab`, or its `.dynsym` when it has none.
pub fn perf_names(file: &Path, starts: &FxHashSet<u64>) -> FxHashMap<u64, String> {
    let Ok(file) = std::fs::File::open(file) else { return FxHashMap::default() };
    // SAFETY: mapped read-only while the symbols are read.
    let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else { return FxHashMap::default() };
    let Ok(elf) = object::File::parse(&map[..]) else { return FxHashMap::default() };
    let symbols: Vec<_> =
        if elf.symbols().next().is_some() { elf.symbols().collect() } else { elf.dynamic_symbols().collect() };
    let mut best: FxHashMap<u64, (Rank, &str)> = FxHashMap::default();
    for symbol in symbols {
        if symbol.kind() != SymbolKind::Text || !starts.contains(&symbol.address()) {
            continue;
        }
        let Ok(name) = symbol.name() else { continue };
        let rank = rank(name, symbol.size() > 0, symbol.is_weak(), !symbol.is_local());
        let slot = best.entry(symbol.address()).or_insert((rank, name));
        if rank > slot.0 {
            *slot = (rank, name);
        }
    }
    best.into_iter().map(|(address, (_, name))| (address, demangle(name))).collect()
}

/// Larger is better: sized, not weak, global, fewer underscores, longer.
type Rank = (bool, bool, bool, Reverse<usize>, usize);

fn rank(name: &str, sized: bool, weak: bool, global: bool) -> Rank {
    let underscores = name.len() - name.trim_start_matches('_').len();
    (sized, !weak, global, Reverse(underscores), name.len())
}

/// Rust (without the hash, as perf prints it) or C++ (as perf prints it:
/// without parameters or return type), else as it is.
fn demangle(name: &str) -> String {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return format!("{rust:#}");
    }
    let options = cpp_demangle::DemangleOptions::new().no_params().no_return_type();
    cpp_demangle::Symbol::new(name)
        .ok()
        .and_then(|s| s.demangle_with_options(&options).ok())
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn perf_prefers_global_over_weak_then_fewer_underscores_then_longer() {
        assert!(rank("__vdso_clock_gettime", true, false, true) > rank("clock_gettime", true, true, true));
        assert!(rank("memcpy", true, false, true) > rank("__memcpy", true, false, true));
        assert!(
            rank("__memmove_avx512_unaligned_erms", true, false, false)
                > rank("__memcpy_avx512_unaligned_erms", true, false, false)
        );
        assert!(rank("f", true, true, true) > rank("g", false, false, true), "a sized symbol first");
    }
}
