//! `kiln agent` sampling processes into a real `kiln server`: in
//! whole-host mode (`[host] enabled = true`), three unrelated programs in
//! C, Go and Rust started after the agent each appear as their own
//! `process_name` with their own hot function; with `[[process_configs]]`
//! by name, a program is picked up when it starts, pushed under its
//! `service_name`, counted as a target on `/metrics`, and dropped when it
//! exits. Needs root (system-wide `perf_event`), gcc, rustc and Debian's
//! golang-go.

#[allow(dead_code)]
mod agent_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use agent_support::*;

const CPU: &str = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

fn config(server: &Server, jobs: &str) -> String {
    format!("[server]\naddress = \"{}\"\n\n[agent]\nlisten = \"127.0.0.1:0\"\n\n{jobs}", server.url)
}

fn source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiln-agent/tests/programs").join(name)
}

/// Builds a test program into `dir` as `name` (its process name).
fn build(dir: &Path, src: &str, name: &str) -> PathBuf {
    let exe = dir.join(name);
    let mut command = match src.rsplit('.').next() {
        Some("c") => {
            let mut c = Command::new("gcc");
            c.args(["-O2", "-fomit-frame-pointer", "-g", "-o"]).arg(&exe).arg(source(src));
            c
        }
        Some("go") => {
            let mut c = Command::new("go");
            c.env("GO111MODULE", "off").env("GOCACHE", std::env::temp_dir().join("kiln-agent-gocache"));
            c.args(["build", "-o"]).arg(&exe).arg(source(src));
            c
        }
        _ => {
            let mut c = Command::new("rustc");
            c.args(["--edition", "2021", "-C", "opt-level=3", "-C", "debuginfo=line-tables-only", "-o"]);
            c.arg(&exe).arg(source(src));
            c
        }
    };
    assert!(command.status().expect("run the compiler").success(), "building {src} failed");
    exe
}

/// Kills the program if the test fails before it exits.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(exe: &Path, arg: &str) -> Program {
    Program(Command::new(exe).arg(arg).stdout(Stdio::null()).spawn().expect("start a program"))
}

/// The percentage of the value in stacks through `function`, and the top
/// stacks for messages.
fn share_through(folded: &BTreeMap<String, i64>, function: &str) -> (f64, String) {
    let total: i64 = folded.values().sum();
    let through: i64 = folded.iter().filter(|(s, _)| s.split(';').any(|f| f == function)).map(|(_, v)| v).sum();
    let mut top: Vec<_> = folded.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    let top = top.iter().take(5).map(|(s, v)| format!("{v} {s}\n")).collect();
    (100.0 * through as f64 / total.max(1) as f64, top)
}

#[test]
fn whole_host_mode_shows_c_go_and_rust_programs_started_later_as_their_own_processes() {
    let dir = temp_dir("host");
    // Each program's hot function and the share of its CPU time the
    // program spends there (hot_cold: 80%; inlined_hot: over 40%).
    let programs = [
        (build(&dir, "hot_cold.c", "kiln_e2e_c"), "2", "hot", 60.0),
        (build(&dir, "spin.go", "kiln_e2e_go"), "2", "main.mix", 60.0),
        (build(&dir, "inlined_hot.rs", "kiln_e2e_rs"), "4", "inlined_hot::table::Table::child", 30.0),
    ];
    let server = Server::start(&dir);
    let jobs = "[host]\nenabled = true\nsample_rate = 100\nupload_interval = \"2s\"\nlabels = { env = \"ci\" }\n";
    let agent = Agent::start(&dir, &config(&server, jobs));
    let mut running: Vec<Program> = programs.iter().map(|(exe, arg, _, _)| run(exe, arg)).collect();
    for program in &mut running {
        assert!(eventually(Duration::from_secs(90), || program.0.try_wait().unwrap().is_some()), "program ran");
    }
    for (exe, _, hot, share) in &programs {
        let name = exe.file_name().unwrap().to_str().unwrap();
        let selector = format!(r#"{{service_name="{name}",process_name="{name}",env="ci"}}"#);
        let mut seen = (0.0, String::new());
        let found = eventually(Duration::from_secs(30), || {
            seen = share_through(&server.folded(CPU, &selector), hot);
            seen.0 > *share
        });
        assert!(found, "{name}: {:.1}% through {hot}, over {share}% expected; top stacks:\n{}", seen.0, seen.1);
    }
    let pushed = agent.metric("kiln_agent_profiles_pushed_total", "host");
    let (status, _) = agent.stop();
    assert!(status.success(), "{status:?}");
    assert!(pushed >= 3, "one profile per process per interval: {pushed}");
}

#[test]
fn a_process_config_by_name_picks_up_a_program_and_drops_it_when_it_exits() {
    let dir = temp_dir("procs");
    let exe = build(&dir, "hot_cold.c", "kiln_e2e_watch");
    let server = Server::start(&dir);
    let jobs = "[[process_configs]]\nname = \"kiln_e2e_watch\"\nupload_interval = \"1s\"\nscan_interval = \"500ms\"\n\
                labels = { team = \"perf\" }\n";
    let agent = Agent::start(&dir, &config(&server, jobs));
    let job = "name=kiln_e2e_watch";
    assert_eq!(agent.metric("kiln_agent_targets", job), 0, "nothing matches yet");
    let mut program = run(&exe, "60");
    let selector = r#"{service_name="kiln_e2e_watch",process_name="kiln_e2e_watch",team="perf"}"#;
    let mut seen = (0.0, String::new());
    let found = eventually(Duration::from_secs(60), || {
        seen = share_through(&server.folded(CPU, selector), "hot");
        seen.0 > 60.0
    });
    assert!(found, "{:.1}% through hot (80% expected); top stacks:\n{}", seen.0, seen.1);
    assert_eq!(agent.metric("kiln_agent_targets", job), 1);
    program.0.kill().unwrap();
    program.0.wait().unwrap();
    assert!(eventually(Duration::from_secs(20), || agent.metric("kiln_agent_targets", job) == 0), "spy stopped");
    let taken = agent.metric("kiln_agent_profiles_taken_total", job);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(agent.metric("kiln_agent_profiles_taken_total", job), taken, "no profile once it exited");
    let (status, _) = agent.stop();
    assert!(status.success(), "{status:?}");
}
