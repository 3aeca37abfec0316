//! An application profiled by kiln-sdk:
//!
//! `sdk-app [--server URL] [--rounds N | --seconds CPU_SECONDS] [--threads T] [--rate HZ] [--interval-ms MS]`
//!
//! Runs two workloads, `checkout` (scoped with `tag_scope`) and `search`
//! (scoped with `tag_guard`), pushes profiles to URL, and prints the CPU
//! split it measured itself (over T threads running both workloads) and the agent's counts. Without `--server` it
//! runs unprofiled (the overhead benchmark's baseline).

mod workload;

use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let limit = workload::Limit::from_args(flag)?;
    let threads: u32 = flag("--threads").map_or(Ok(1), |v| v.parse())?;
    let rate: u32 = flag("--rate").map_or(Ok(100), |v| v.parse())?;
    let interval = Duration::from_millis(flag("--interval-ms").map_or(Ok(10_000), |v| v.parse())?);
    let agent = match flag("--server") {
        Some(url) => Some(
            kiln_sdk::Agent::builder(&url, "sdk-app")
                .tags(&[("env", "example"), ("region", "local")])
                .sample_rate(rate)
                .upload_interval(interval)
                .start()?,
        ),
        None => None,
    };
    let started = Instant::now();
    let split = workload::run_threads(threads.max(1), &limit, |workload, work| match workload {
        "checkout" => kiln_sdk::tag_scope(&[("workload", "checkout")], work),
        search => {
            let _tags = kiln_sdk::tag_guard(&[("workload", search)]);
            work()
        }
    });
    let wall = started.elapsed();
    println!("{} wall_seconds={:.3} checksum={:x}", split.report(), wall.as_secs_f64(), split.checksum);
    if let Some(agent) = agent {
        let stats = agent.stop()?;
        println!(
            "samples={} samples_dropped={} profiles_pushed={} pushes_failed={}",
            stats.samples, stats.samples_dropped, stats.profiles_pushed, stats.pushes_failed
        );
    }
    Ok(())
}
