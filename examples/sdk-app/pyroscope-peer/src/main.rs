//! The example app's workload profiled by Pyroscope's Rust SDK:
//!
//! `pyroscope-peer [--server URL] [--rounds N | --seconds CPU_SECONDS] [--rate HZ] [--interval-ms MS]`
//!
//! Same output as `sdk-app`; the workloads are tagged through the SDK's
//! `tag_wrapper`. Without `--server` it runs unprofiled.

#[path = "../../src/workload.rs"]
mod workload;

use std::time::{Duration, Instant};

use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::PyroscopeAgentBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let limit = workload::Limit::from_args(flag)?;
    let rate: u32 = flag("--rate").map_or(Ok(100), |v| v.parse())?;
    let interval = Duration::from_millis(flag("--interval-ms").map_or(Ok(10_000), |v| v.parse())?);
    let Some(url) = flag("--server") else {
        let started = Instant::now();
        let split = workload::run_threads(1, &limit, |_, work| work());
        println!(
            "{} wall_seconds={:.3} checksum={:x}",
            split.report(),
            started.elapsed().as_secs_f64(),
            split.checksum
        );
        return Ok(());
    };
    let backend = pprof_backend(PprofConfig { sample_rate: rate }, BackendConfig::default());
    let agent = PyroscopeAgentBuilder::new(&url, "sdk-app-pyroscope", rate, "pyroscope-rs", "2.1.5", backend)
        .tags(vec![("env", "example")])
        .upload_interval(interval)
        .build()?;
    let running = agent.start()?;
    let (add_tag, remove_tag) = running.tag_wrapper();
    let started = Instant::now();
    let split = workload::run_threads(1, &limit, |workload, work| {
        add_tag("workload".into(), workload.into()).expect("tag added");
        work();
        remove_tag("workload".into(), workload.into()).expect("tag removed");
    });
    println!("{} wall_seconds={:.3} checksum={:x}", split.report(), started.elapsed().as_secs_f64(), split.checksum);
    running.stop()?.shutdown();
    Ok(())
}
