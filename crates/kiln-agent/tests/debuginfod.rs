//! A binary stripped of every symbol is named through debuginfod when
//! `DEBUGINFOD_URLS` is set: its debug file is served by build id from a
//! small HTTP server here, fetched by elfutils' client library, and cached
//! under `DEBUGINFOD_CACHE_PATH`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use common::{build, folded, has_run, profile_run, samples_where, top, total};

/// Serves `debug` at `/buildid/<build_id>/debuginfo`, 404 elsewhere.
fn serve(build_id: String, debug: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            while reader.read_line(&mut String::new()).is_ok_and(|n| n > 2) {}
            let wanted = format!("GET /buildid/{build_id}/debuginfo ");
            let mut out = &stream;
            if request.starts_with(&wanted) {
                let _ = write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", debug.len());
                let _ = out.write_all(&debug);
            } else {
                let _ = write!(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        }
    });
    port
}

fn run(tool: &str, args: &[&str], file: &Path) {
    let status = Command::new(tool).args(args).arg(file).status().expect("run binutils");
    assert!(status.success(), "{tool} failed");
}

#[test]
fn binary_without_any_symbols_is_named_from_its_debuginfod_debug_file() {
    if !Path::new("/usr/lib/x86_64-linux-gnu/libdebuginfod.so.1").exists() {
        panic!("libdebuginfod1 (elfutils) must be installed for this test");
    }
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-g", "-Wl,--build-id"]);
    let debug = exe.with_extension("debug");
    let status = Command::new("objcopy").arg("--only-keep-debug").arg(&exe).arg(&debug).status().expect("objcopy");
    assert!(status.success(), "objcopy failed");
    run("strip", &["--strip-all"], &exe);
    let build_id = blazesym::helper::read_elf_build_id(&exe).expect("read").expect("a build id");
    let hex: String = build_id.iter().map(|b| format!("{b:02x}")).collect();
    let port = serve(hex, std::fs::read(&debug).expect("debug file"));
    let cache = exe.with_extension("cache");
    // This file's only test: no other thread reads the environment.
    std::env::set_var("DEBUGINFOD_URLS", format!("http://127.0.0.1:{port}"));
    std::env::set_var("DEBUGINFOD_CACHE_PATH", &cache);
    let (profile, _) = profile_run(&exe, &["0.5"], 200);
    let stacks = folded(&profile);
    let whole = samples_where(&stacks, |f| has_run(f, &["main", "run", "hot"]));
    assert!(whole * 2 > total(&stacks), "main;run;hot from the fetched debug file:\n{}", top(&stacks));
}
