//! The same process sampled by `perf record` and by the native sampler over
//! the same seconds, each reduced to self time per function as `perf report
//! --no-children --sort sym` names functions (the symbol an address is in,
//! not the callees inlined there).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use kiln_agent::{NativeSampler, Target};
use kiln_model::Profile;

/// Percent of all samples by function, largest first.
pub type Shares = Vec<(String, f64)>;

/// `(perf, kiln)` self shares of `pid` over `seconds`, both at `rate_hz`.
pub fn sample_both(pid: u32, seconds: f64, rate_hz: u32, dir: &Path) -> (Shares, Shares) {
    let data = dir.join("perf.data");
    let mut perf = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", &rate_hz.to_string(), "-p", &pid.to_string(), "-o"])
        .arg(&data)
        .args(["--", "sleep", &seconds.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("run perf record (Debian: linux-perf)");
    let sampler = NativeSampler::start(Target::Pid(pid), rate_hz).expect("attach the native sampler");
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let profile = sampler.stop().expect("stop the sampler");
    assert!(perf.wait().expect("wait for perf").success(), "perf record failed");
    (perf_report(&data), self_shares(&profile))
}

/// `perf report --no-children --sort sym` of a recording, user and kernel
/// symbols alike.
fn perf_report(data: &Path) -> Shares {
    let output = Command::new("perf")
        .args(["report", "--no-children", "--stdio", "--sort", "sym", "-q", "-i"])
        .arg(data)
        .output()
        .expect("run perf report");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut shares: Shares = text.lines().filter_map(report_line).collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    shares
}

/// `    65.43%  [.] name` -> `(name, 65.43)`.
fn report_line(line: &str) -> Option<(String, f64)> {
    let (percent, rest) = line.trim().split_once('%')?;
    let rest = rest.trim_start();
    let name = rest.strip_prefix("[.] ").or_else(|| rest.strip_prefix("[k] "))?;
    Some((name.trim().to_owned(), percent.trim().parse().ok()?))
}

/// Self shares by the outermost function of each sample's leaf location.
pub fn self_shares(profile: &Profile) -> Shares {
    let counts = profile.sample_type_index("samples").expect("samples type");
    let mut by_name: BTreeMap<String, i64> = BTreeMap::new();
    for sample in &profile.samples {
        let Some(&leaf) = sample.locations.first() else { continue };
        let location = &profile.locations[leaf as usize];
        let name =
            location.lines.last().map_or("[unknown]", |l| profile.str(profile.functions[l.function as usize].name));
        *by_name.entry(name.to_owned()).or_default() += sample.values[counts];
    }
    let total = by_name.values().sum::<i64>().max(1) as f64;
    let mut shares: Shares = by_name.into_iter().map(|(n, v)| (n, 100.0 * v as f64 / total)).collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    shares
}

/// Asserts that perf's top `n` functions above `floor` percent are kiln's
/// too, by name, each share within 3 points.
pub fn assert_top_agree(perf: &Shares, kiln: &Shares, n: usize, floor: f64) {
    let table = format!("perf:\n{}kiln:\n{}", show(perf), show(kiln));
    eprintln!("{table}");
    for (name, share) in perf.iter().take(n).filter(|(_, s)| *s >= floor) {
        let ours = kiln.iter().find(|(k, _)| k == name).map_or(0.0, |(_, s)| *s);
        assert!((ours - share).abs() <= 3.0, "{name}: perf {share:.1}%, kiln {ours:.1}%\n{table}");
    }
}

fn show(shares: &Shares) -> String {
    shares.iter().take(8).map(|(n, s)| format!("{s:6.2}% {n}\n")).collect()
}
