//! Profiles `burn_cpu_in_rust` with the Rust Pyroscope SDK and sends the
//! profiles to the server given as the first argument, for the given
//! number of seconds (second argument).

use std::time::{Duration, Instant};

use pyroscope::backend::{pprof_backend, BackendConfig, PprofConfig};
use pyroscope::pyroscope::PyroscopeAgentBuilder;

#[inline(never)]
fn burn_cpu_in_rust(until: Instant) -> u64 {
    let mut x = 0u64;
    while Instant::now() < until {
        for i in 0..100_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
    }
    x
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).ok_or("usage: client <server-url> <seconds>")?;
    let seconds: u64 = args.get(2).map_or(Ok(4), |s| s.parse())?;
    let backend = pprof_backend(PprofConfig { sample_rate: 100 }, BackendConfig::default());
    let agent = PyroscopeAgentBuilder::new(url, "kiln-sdk-rust", 100, "pyroscope-rs", "2.1.5", backend)
        .tags(vec![("env", "sdk-test"), ("sdk", "rust")])
        .upload_interval(Duration::from_secs(2))
        .build()?;
    let running = agent.start()?;
    let x = burn_cpu_in_rust(Instant::now() + Duration::from_secs(seconds));
    let ready = running.stop()?;
    ready.shutdown();
    println!("done {x}");
    Ok(())
}
