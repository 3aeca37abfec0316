//! Helpers shared by the `kiln adhoc` push and pull tests: a temporary
//! directory per test, the `kiln adhoc` command writing into it, and the
//! folded files a run writes, read back as `stack -> value`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-adhoc-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of `tests/programs`.
pub fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

/// `kiln adhoc` writing into `dir/out`, with its data directory under `dir`.
pub fn adhoc(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.env("XDG_DATA_HOME", dir.join("data")).env("RUST_BACKTRACE", "0");
    c.arg("adhoc").arg("--output-dir").arg(dir.join("out"));
    c
}

/// Runs to the end; kiln's stderr is shown when a test fails.
pub fn run(mut command: Command) -> Output {
    let out = command.stdin(Stdio::null()).output().expect("run kiln");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The entries of `dir` whose names end with `suffix`, sorted.
pub fn entries_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect());
    let mut v: Vec<PathBuf> = entries.unwrap_or_default();
    v.retain(|p| p.to_string_lossy().ends_with(suffix));
    v.sort();
    v
}

/// The names of the entries of `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    entries_ending(dir, "").iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
}

/// A folded file as `stack -> value`.
pub fn folded(path: &Path) -> BTreeMap<String, i64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter_map(|l| l.rsplit_once(' ')).map(|(stack, v)| (stack.to_owned(), v.parse().unwrap())).collect()
}

/// Percent of the total in stacks that have a frame for which `frame` holds.
pub fn share(stacks: &BTreeMap<String, i64>, frame: impl Fn(&str) -> bool) -> f64 {
    let total: i64 = stacks.values().sum();
    let kept: i64 = stacks.iter().filter(|(s, _)| s.split(';').any(&frame)).map(|(_, v)| v).sum();
    100.0 * kept as f64 / total.max(1) as f64
}
