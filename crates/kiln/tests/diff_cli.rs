//! `kiln diff` as a CI gate: a function that grew by 20 points fails
//! `--fail-above 10`, passes `--fail-above 30`, and the diff report is
//! written either way.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-diff-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Two folded profiles where `work`'s self share goes from 30% to 50%.
fn write_profiles(dir: &Path) -> (PathBuf, PathBuf) {
    let (base, new) = (dir.join("base.folded"), dir.join("new.folded"));
    std::fs::write(&base, "main;work 30\nmain;parse 50\nmain;io 20\n").unwrap();
    std::fs::write(&new, "main;work 50\nmain;parse 30\nmain;io 20\n").unwrap();
    (base, new)
}

fn diff(dir: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let (base, new) = write_profiles(dir);
    let html = dir.join("diff.html");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("diff")
        .arg(&base)
        .arg(&new)
        .arg("-o")
        .arg(&html)
        .args(extra)
        .output()
        .unwrap();
    (out, html)
}

#[test]
fn growth_above_the_limit_fails_naming_the_function() {
    let dir = temp_dir("fail");
    let (out, html) = diff(&dir, &["--fail-above", "10"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("work grew by 20.00 points"), "{err}");
    assert!(std::fs::read_to_string(html).unwrap().contains("<html"));
}

#[test]
fn growth_below_the_limit_passes_and_writes_the_report() {
    let dir = temp_dir("pass");
    let (out, html) = diff(&dir, &["--fail-above", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().nth(1).expect("a growth row");
    assert!(first.ends_with(" work") && first.contains("+20.00"), "{stdout}");
    assert!(std::fs::metadata(html).unwrap().len() > 1000);
}

#[test]
fn without_a_limit_diff_never_fails() {
    let dir = temp_dir("nolimit");
    let (out, _) = diff(&dir, &[]);
    assert_eq!(out.status.code(), Some(0));
}
