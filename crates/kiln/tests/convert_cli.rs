//! `kiln convert` as a user runs it: real files, stdin and stdout, errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn kiln() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
}

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kiln-model/tests/fixtures").join(path)
}

#[test]
fn converts_a_go_cpu_profile_to_folded_on_stdout() {
    let out = kiln().args(["convert"]).arg(fixture("go/cpu.pb.gz")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.contains("main.burn")), "{text}");
}

#[test]
fn reads_stdin_and_writes_pprof_to_a_file_that_converts_back() {
    let dir = std::env::temp_dir().join(format!("kiln-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("out.pb.gz");
    let mut child =
        kiln().args(["convert", "-", "--to", "pprof", "-o"]).arg(&out_path).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"main;work 7\nmain;idle 3\n").unwrap();
    assert!(child.wait().unwrap().success());
    let back = kiln().arg("convert").arg(&out_path).output().unwrap();
    assert_eq!(String::from_utf8(back.stdout).unwrap(), "main;idle 3\nmain;work 7\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_input_fails_with_format_and_position() {
    let mut child = kiln().args(["convert", "-"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"a;b 1\na;b notanumber\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("folded at line 2"), "{err}");
}

#[test]
fn unknown_output_format_is_a_usage_error() {
    let out = kiln().args(["convert", "-", "--to", "svgz"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown output format"));
}
