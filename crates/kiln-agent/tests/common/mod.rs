//! Shared helpers: build a test program with gcc/g++, run it under the
//! sampler, and read the result as folded stacks.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use kiln_agent::{spawn_paused, NativeSampler, Target};
use kiln_model::{Profile, Tree};

pub mod perf_compare;

/// Compiles `tests/programs/<source>` into a fresh temporary directory.
pub fn build(source: &str, flags: &[&str]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(source);
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kiln-agent-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let exe = dir.join(source.split('.').next().unwrap_or("prog"));
    let compiler = if source.ends_with(".cpp") { "g++" } else { "gcc" };
    let status = Command::new(compiler)
        .args(flags)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .arg("-lpthread")
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "{compiler} failed on {source}");
    exe
}

/// Builds `tests/programs/<source>` with Debian's `golang-go`.
pub fn go_build(source: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(source);
    let dir = std::env::temp_dir().join(format!("kiln-agent-go-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let exe = dir.join(source.trim_end_matches(".go"));
    let status = Command::new("go")
        .env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join("kiln-agent-gocache"))
        .args(["build", "-o"])
        .arg(&exe)
        .arg(&src)
        .status();
    match status {
        Ok(s) => assert!(s.success(), "go build {source} failed"),
        Err(e) => panic!("`go` is needed to build {source} ({e}): install it with `apt-get install golang-go`"),
    }
    exe
}

/// `rustc -O -C debuginfo=line-tables-only`, as `debug = "line-tables-only"`
/// in a release profile builds.
pub fn build_rust(source: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(source);
    let dir = std::env::temp_dir().join(format!("kiln-agent-rs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let exe = dir.join(source.trim_end_matches(".rs"));
    let status = Command::new("rustc")
        .args(["--edition", "2021", "-C", "opt-level=3", "-C", "debuginfo=line-tables-only", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("run rustc");
    assert!(status.success(), "rustc failed on {source}");
    exe
}

/// Runs `exe args` from its first instruction to its exit under the sampler.
pub fn profile_run(exe: &Path, args: &[&str], rate_hz: u32) -> (Profile, Output) {
    let mut command = Command::new(exe);
    command.args(args).stdout(Stdio::piped());
    let paused = spawn_paused(&mut command).expect("spawn paused");
    let sampler = NativeSampler::start(Target::PidTree(paused.id()), rate_hz).expect("start sampler");
    let child = paused.resume().expect("resume");
    let output = child.wait_with_output().expect("wait for the program");
    let profile = sampler.stop().expect("stop sampler");
    (profile, output)
}

/// `root;...;leaf -> samples` of a profile.
pub fn folded(profile: &Profile) -> BTreeMap<String, i64> {
    let samples = profile.sample_type_index("samples").expect("samples type");
    Tree::from_profile(profile, samples).folded_map()
}

/// Total samples of stacks for which `keep` is true.
pub fn samples_where(folded: &BTreeMap<String, i64>, keep: impl Fn(&[&str]) -> bool) -> i64 {
    folded.iter().filter(|(stack, _)| keep(&stack.split(';').collect::<Vec<_>>())).map(|(_, v)| v).sum()
}

/// Total samples.
pub fn total(folded: &BTreeMap<String, i64>) -> i64 {
    folded.values().sum()
}

/// True when `frames` contains `names` as consecutive frames.
pub fn has_run(frames: &[&str], names: &[&str]) -> bool {
    frames.windows(names.len()).any(|w| w == names)
}

/// A printable top of the folded stacks, for assertion messages.
pub fn top(folded: &BTreeMap<String, i64>) -> String {
    let mut v: Vec<_> = folded.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1));
    v.iter().take(8).map(|(s, n)| format!("{n:6} {s}\n")).collect()
}
