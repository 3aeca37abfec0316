//! The native sampler's function names checked against `perf report
//! --no-children` on the same process over the same seconds (attach mode):
//! a Rust release binary with line-tables-only debug info and an inlined hot
//! path, a stripped C binary named by its `.dynsym`, a hot loop in libc
//! (named through its debug file), one in the vDSO and one in JIT code
//! named by a perf map, C++ template instantiations, a Go HTTP server
//! under load, and kernel functions named from `/proc/kallsyms`. Perf's top
//! functions must be ours by name, each share within 3 points.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::perf_compare::{assert_top_agree, sample_both, Shares};
use common::{build, folded, go_build, has_run, samples_where, top, total};

/// Sampling rate of both samplers, and how long they watch.
const RATE_HZ: u32 = 1000;
const SECONDS: f64 = 4.0;

/// Runs `exe` long enough to be watched after it warms up, samples it with
/// both, and kills it (removing the perf map a JIT program leaves).
fn watch(exe: &Path) -> (Shares, Shares) {
    let mut child: Child = Command::new(exe).arg("30").stdout(Stdio::null()).spawn().expect("start the program");
    std::thread::sleep(Duration::from_millis(200));
    let dir = exe.parent().expect("build dir").to_path_buf();
    let shares = sample_both(child.id(), SECONDS, RATE_HZ, &dir);
    child.kill().expect("kill the program");
    let _ = child.wait();
    let _ = std::fs::remove_file(format!("/tmp/perf-{}.map", child.id()));
    shares
}

fn share(shares: &Shares, name: &str) -> f64 {
    shares.iter().find(|(n, _)| n == name).map_or(0.0, |(_, s)| *s)
}

#[test]
fn rust_release_binary_with_inlining_names_functions_as_perf_does() {
    let exe = common::build_rust("inlined_hot.rs");
    let (perf, kiln) = watch(&exe);
    assert!(share(&perf, "inlined_hot::table::Table::child") > 40.0, "perf must see the hot function:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 5, 1.0);
}

#[test]
fn inlined_probe_is_its_own_frame_under_the_function_perf_names() {
    let exe = common::build_rust("inlined_hot.rs");
    let (profile, _) = common::profile_run(&exe, &["0.5"], 500);
    let stacks = folded(&profile);
    let under_child = samples_where(&stacks, |f| has_run(f, &["inlined_hot::table::Table::child", "probe"]));
    assert!(under_child * 3 > total(&stacks), "probe inlined into child must be a frame:\n{}", top(&stacks));
}

#[test]
fn stripped_c_binary_is_named_from_its_dynamic_symbols() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-rdynamic"]);
    let status = Command::new("strip").arg("--strip-all").arg(&exe).status().expect("run strip");
    assert!(status.success(), "strip failed");
    let (perf, kiln) = watch(&exe);
    assert!(share(&perf, "hot") > 50.0, "perf must name hot from .dynsym:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 5, 1.0);
}

#[test]
fn libc_functions_are_named_as_perf_names_them() {
    let exe = build("memcmp_loop.c", &["-O2"]);
    let (perf, kiln) = watch(&exe);
    let in_libc =
        perf.iter().take(2).all(|(n, _)| n.contains("memcmp") || n.contains("memcpy") || n.contains("memmove"));
    assert!(in_libc, "perf must see memcmp and memcpy on top:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 5, 1.0);
}

#[test]
fn vdso_functions_are_named_from_the_process_image() {
    let exe = build("clock_loop.c", &["-O2"]);
    let (perf, kiln) = watch(&exe);
    let vdso =
        perf.iter().find(|(n, _)| n.contains("clock_gettime") || n.contains("vdso")).expect("perf sees the vDSO");
    assert!(vdso.1 > 20.0, "the loop runs in the vDSO:\n{perf:?}");
    assert!(kiln.iter().all(|(n, _)| !n.starts_with("[vdso]+")), "no vDSO frame left unnamed:\n{kiln:?}");
    assert_top_agree(&perf, &kiln, 5, 1.0);
}

#[test]
fn jit_code_is_named_from_the_processes_perf_map() {
    let exe = build("jit_spin.c", &["-O2"]);
    let (perf, kiln) = watch(&exe);
    assert!(share(&perf, "jit_spin") > 50.0, "perf must name the JIT code from the map:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 5, 1.0);
}

#[test]
fn cpp_template_instantiations_are_named_as_perf_names_them() {
    let exe = build("template_mix.cpp", &["-O2", "-g"]);
    let (perf, kiln) = watch(&exe);
    let introsort = perf.iter().find(|(n, _)| n.starts_with("std::__introsort_loop<")).expect("perf sees std::sort");
    assert!(introsort.1 > 20.0, "std::sort's loop is hot:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 10, 1.0);
}

#[test]
fn kernel_functions_are_named_from_kallsyms_as_perf_names_them() {
    let exe = build("syscalls.c", &["-O2"]);
    let (perf, kiln) = watch(&exe);
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").expect("read /proc/kallsyms");
    let in_kernel = |name: &str| kallsyms.lines().any(|l| l.split_whitespace().nth(2) == Some(name));
    assert!(in_kernel(&perf[0].0), "reading /dev/zero is kernel time:\n{perf:?}");
    assert!(!kiln.iter().any(|(n, s)| n == "[kernel]" && *s > 1.0), "kernel frames are named:\n{kiln:?}");
    assert_top_agree(&perf, &kiln, 10, 1.0);
}

/// One `GET` on a fresh connection; the answer is read to its end.
fn get(port: u16, path: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

#[test]
fn go_http_server_under_load_is_named_as_perf_names_it() {
    let exe = go_build("http_server.go");
    let mut server = Command::new(&exe).stdout(Stdio::piped()).spawn().expect("start the Go server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout")).read_line(&mut line).expect("read the port");
    let port: u16 = line.trim().parse().expect("the server prints its port");
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    get(port, &format!("/doc/{i}?n=400"));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let dir = exe.parent().expect("build dir").to_path_buf();
    let (perf, kiln) = sample_both(server.id(), SECONDS, RATE_HZ, &dir);
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().expect("client thread"));
    server.kill().expect("kill the server");
    let _ = server.wait();
    let hashing = perf.iter().any(|(n, s)| n.starts_with("crypto/sha256.block") && *s > 5.0);
    assert!(hashing, "the handler's hashing is hot:\n{perf:?}");
    assert_top_agree(&perf, &kiln, 10, 1.0);
}
