//! `kiln adhoc [OPTIONS] -- CMD ARGS...` and `kiln adhoc --pid PID`: profile
//! one command or process with the native spy, then write a standalone HTML
//! report (and other formats on request) and keep a copy in the data directory.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use kiln_agent::{run_session, SamplerStats, SessionOptions, SessionTarget};
use kiln_model::convert::{profile_type, sample_type_index};
use kiln_model::flamegraph::flame_graph;
use kiln_model::top::top_table;
use kiln_model::{flamebearer, folded, pprof, speedscope, Profile, Tree};
use kiln_render::ReportMeta;

#[derive(Args)]
pub struct AdhocArgs {
    /// Which spy samples the program (auto picks native; python and ruby spies are not built yet).
    #[arg(long, value_enum, default_value = "auto")]
    spy: Spy,
    /// Samples per second of CPU time.
    #[arg(long, default_value_t = 100)]
    sample_rate: u32,
    /// Application name used in file names and the report (default: the command's name).
    #[arg(long)]
    application_name: Option<String>,
    /// A `key=value` tag recorded on every sample (repeatable).
    #[arg(long = "tag", value_parser = parse_tag)]
    tags: Vec<(String, String)>,
    /// Where the report and other files go (default: the current directory).
    #[arg(long, default_value = ".")]
    output_dir: PathBuf,
    /// Files to write besides the HTML report: html, pprof, folded, speedscope, json.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "html")]
    format: Vec<Format>,
    /// Stop sampling after this long, e.g. `30s`, `2m`, `500ms`.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Attach to this running process instead of running a command.
    #[arg(long, conflicts_with = "command")]
    pid: Option<u32>,
    /// The command to run and its arguments.
    #[arg(last = true)]
    command: Vec<OsString>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Spy {
    Auto,
    Native,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Html,
    Pprof,
    Folded,
    Speedscope,
    Json,
}

fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("a tag is key=value, not {s:?}")),
    }
}

/// `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("not a duration: {s:?}"))?;
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("unknown duration unit in {s:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(n * scale).map_err(|e| format!("{s:?}: {e}"))
}

/// Runs the session and writes its files; returns the exit code for kiln.
pub fn run(args: AdhocArgs) -> anyhow::Result<i32> {
    let (target, app) = target_and_app(&args)?;
    let options = SessionOptions {
        sample_rate_hz: args.sample_rate,
        duration: args.duration,
        progress_every: Duration::from_millis(250),
    };
    let tty = std::io::stderr().is_terminal();
    let outcome = run_session(target, options, |stats, elapsed| {
        if tty {
            eprint!("\rkiln: {} samples, {:.1}s elapsed ", stats.samples, elapsed.as_secs_f64());
        }
    })?;
    if tty {
        eprint!("\r\x1b[K");
    }
    let mut profile = outcome.profile;
    tag(&mut profile, &args.tags);
    print_summary(&profile, outcome.stats, outcome.elapsed);
    let stem = format!("{app}-{}", timestamp());
    let subject = subject(&args);
    for path in write_files(&profile, &args, &stem, &app, &subject)? {
        eprintln!("kiln: wrote {}", path.display());
    }
    Ok(outcome.exit_code.unwrap_or(0))
}

/// The session target and the application name.
fn target_and_app(args: &AdhocArgs) -> anyhow::Result<(SessionTarget, String)> {
    if let Some(pid) = args.pid {
        let app = args.application_name.clone().unwrap_or_else(|| process_name(pid));
        return Ok((SessionTarget::Attach(pid), sanitize(&app)));
    }
    let Some((program, rest)) = args.command.split_first() else {
        bail!("nothing to profile: give a command after `--`, or --pid PID");
    };
    let base = Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if matches!(args.spy, Spy::Auto) && is_interpreter(&base) {
        eprintln!("kiln: {base} is profiled with the native spy; interpreter frames will not be shown");
    }
    let mut command = Command::new(program);
    command.args(rest);
    Ok((SessionTarget::Exec(command), sanitize(args.application_name.as_deref().unwrap_or(&base))))
}

fn is_interpreter(name: &str) -> bool {
    name.starts_with("python") || ["ruby", "bundle", "rails", "rake"].contains(&name)
}

fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).map(|s| s.trim().to_owned()).unwrap_or(format!("pid-{pid}"))
}

/// A name that is safe as part of a file name.
fn sanitize(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    if s.is_empty() {
        "adhoc".to_owned()
    } else {
        s
    }
}

fn subject(args: &AdhocArgs) -> String {
    match args.pid {
        Some(pid) => format!("pid {pid}"),
        None => args.command.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
    }
}

/// Now as `YYYY-MM-DD-HH-MM-SS` (UTC).
fn timestamp() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
    kiln_render::rfc3339(nanos).replace(['T', ':'], "-").trim_end_matches('Z').to_owned()
}

/// Adds the `--tag` labels to every sample.
fn tag(profile: &mut Profile, tags: &[(String, String)]) {
    let ids: Vec<(u32, u32)> = tags.iter().map(|(k, v)| (intern(profile, k), intern(profile, v))).collect();
    for sample in &mut profile.samples {
        for &(key, str) in &ids {
            sample.labels.push(kiln_model::Label { key, str, ..Default::default() });
        }
    }
}

fn intern(profile: &mut Profile, s: &str) -> u32 {
    if let Some(i) = profile.strings.iter().position(|x| x == s) {
        return i as u32;
    }
    profile.strings.push(s.to_owned());
    (profile.strings.len() - 1) as u32
}

/// The top 10 functions by self time, on stderr.
fn print_summary(profile: &Profile, stats: SamplerStats, elapsed: Duration) {
    let tree = Tree::from_profile(profile, sample_type_index(profile, Some("samples")).unwrap_or(0));
    let total = tree.total().max(1) as f64;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "kiln: {} samples ({} lost) in {:.1}s; top functions by self time:",
        stats.samples,
        stats.lost,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(err, "{:>7} {:>7}  function", "self%", "total%");
    for row in top_table(&tree).iter().take(10) {
        let (s, t) = (100.0 * row.self_value as f64 / total, 100.0 * row.total as f64 / total);
        let _ = writeln!(err, "{s:>6.2}% {t:>6.2}%  {}", row.name);
    }
}

/// Writes the report, the requested formats and the data directory copy.
fn write_files(
    profile: &Profile,
    args: &AdhocArgs,
    stem: &str,
    app: &str,
    subject: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&args.output_dir).with_context(|| format!("creating {}", args.output_dir.display()))?;
    let st = sample_type_index(profile, None)?;
    let pt = profile_type("process_cpu", profile, st);
    let fg = flame_graph(&Tree::from_profile(profile, st), 8192);
    let mut written = Vec::new();
    let mut write = |suffix: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let path = args.output_dir.join(format!("{stem}{suffix}"));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    let meta = ReportMeta::for_profile(app, subject, profile, &pt);
    write(".html", kiln_render::single_html(&meta, &fg).as_bytes())?;
    for format in &args.format {
        match format {
            Format::Html => {}
            Format::Pprof => write(".pb.gz", &pprof::encode_gzip(profile))?,
            Format::Folded => write(".folded", folded::encode(profile, st).as_bytes())?,
            Format::Speedscope => write(".speedscope.json", speedscope::encode(profile, st, app).as_bytes())?,
            Format::Json => write(".json", flamebearer::to_json(&flamebearer::single(&fg, &pt)).as_bytes())?,
        }
    }
    written.push(save_to_data_dir(profile, stem)?);
    Ok(written)
}

/// `$XDG_DATA_HOME/kiln/adhoc/`, else `~/.local/share/kiln/adhoc/`.
fn data_dir() -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").context("neither XDG_DATA_HOME nor HOME is set")?;
            PathBuf::from(home).join(".local/share")
        }
    };
    Ok(base.join("kiln/adhoc"))
}

fn save_to_data_dir(profile: &Profile, stem: &str) -> anyhow::Result<PathBuf> {
    let dir = data_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{stem}.pb.gz"));
    std::fs::write(&path, pprof::encode_gzip(profile)).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn timestamps_are_safe_file_name_parts() {
        let ts = timestamp();
        assert_eq!(ts.len(), "YYYY-MM-DD-HH-MM-SS".len(), "{ts}");
        assert!(ts.chars().all(|c| c.is_ascii_digit() || c == '-'), "{ts}");
    }
}
