//! What every mode ends with: a terminal summary per profile, the report
//! files and a copy of each profile in the data directory.
//!
//! One profile gives `<app>-<ts>.html` (and the `--format` extras) in the
//! output directory; several (applications or profile types) give a
//! directory `<app or kiln-adhoc>-<ts>/` with `<app>.<profile>.html` and
//! extras per profile.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;
use kiln_model::convert::{profile_type, sample_type_index};
use kiln_model::flamegraph::flame_graph;
use kiln_model::top::top_table;
use kiln_model::{flamebearer, folded, pprof, speedscope, Profile, ProfileType, Tree};
use kiln_render::ReportMeta;

use super::{sanitize, timestamp, AdhocArgs};

/// A file format `--format` asks for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Html,
    Pprof,
    Folded,
    Speedscope,
    Json,
}

/// One profile to report.
pub struct Report {
    /// The application, as a safe file name part.
    pub app: String,
    /// The profile's `__name__`: `process_cpu`, `memory`, `wall`, ...
    pub kind: String,
    pub profile: Profile,
    /// How the profile was obtained, for the summary line (e.g. `1234 samples in 2.0s`).
    pub header: String,
}

/// Where one report's files go.
struct Place {
    dir: PathBuf,
    /// File name without extension in `dir`.
    stem: String,
    /// File name without extension in the data directory.
    data_stem: String,
}

/// Prints each report's summary, writes its files and prints their paths.
pub fn write(mut reports: Vec<Report>, args: &AdhocArgs, subject: &str) -> anyhow::Result<()> {
    let places = places(&reports, &args.output_dir, &timestamp());
    for (report, place) in reports.iter_mut().zip(&places) {
        tag(&mut report.profile, &args.tags);
        let st = sample_type_index(&report.profile, None)?;
        let pt = profile_type(&report.kind, &report.profile, st);
        print_summary(report, &pt, st);
        std::fs::create_dir_all(&place.dir).with_context(|| format!("creating {}", place.dir.display()))?;
        let mut written = write_report(report, &pt, st, place, args, subject)?;
        written.push(save_to_data_dir(&report.profile, &place.data_stem)?);
        for path in written {
            eprintln!("kiln: wrote {}", path.display());
        }
    }
    Ok(())
}

/// One report in the output directory, or a directory of several.
fn places(reports: &[Report], output_dir: &Path, ts: &str) -> Vec<Place> {
    if let [report] = reports {
        let stem = format!("{}-{ts}", report.app);
        return vec![Place { dir: output_dir.to_owned(), data_stem: stem.clone(), stem }];
    }
    let apps: BTreeSet<&str> = reports.iter().map(|r| r.app.as_str()).collect();
    let top = if apps.len() == 1 { apps.first().copied().unwrap_or("kiln-adhoc") } else { "kiln-adhoc" };
    let dir = output_dir.join(format!("{top}-{ts}"));
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for r in reports {
        let base = format!("{}.{}", r.app, sanitize(&r.kind));
        let (mut stem, mut n) = (base.clone(), 1);
        while !used.insert(stem.clone()) {
            n += 1;
            stem = format!("{base}.{n}");
        }
        out.push(Place { dir: dir.clone(), data_stem: format!("{stem}-{ts}"), stem });
    }
    out
}

/// The HTML report and the `--format` extras.
fn write_report(
    report: &Report,
    pt: &ProfileType,
    st: usize,
    place: &Place,
    args: &AdhocArgs,
    subject: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let (profile, app) = (&report.profile, report.app.as_str());
    let fg = flame_graph(&Tree::from_profile(profile, st), 8192);
    let mut written = Vec::new();
    let mut write = |suffix: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let path = place.dir.join(format!("{}{suffix}", place.stem));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    let meta = ReportMeta::for_profile(app, subject, profile, pt);
    write(".html", kiln_render::single_html(&meta, &fg).as_bytes())?;
    for format in &args.format {
        match format {
            Format::Html => {}
            Format::Pprof => write(".pb.gz", &pprof::encode_gzip(profile))?,
            Format::Folded => write(".folded", folded::encode(profile, st).as_bytes())?,
            Format::Speedscope => write(".speedscope.json", speedscope::encode(profile, st, app).as_bytes())?,
            Format::Json => write(".json", flamebearer::to_json(&flamebearer::single(&fg, pt)).as_bytes())?,
        }
    }
    Ok(written)
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
fn print_summary(report: &Report, pt: &ProfileType, st: usize) {
    let tree = Tree::from_profile(&report.profile, st);
    let total = tree.total().max(1) as f64;
    let mut err = std::io::stderr().lock();
    let (app, kind, ty) = (&report.app, &pt.name, &pt.sample_type);
    let _ = writeln!(err, "kiln: {app} {kind}/{ty}: {}; top functions by self time:", report.header);
    let _ = writeln!(err, "{:>7} {:>7}  function", "self%", "total%");
    for row in top_table(&tree).iter().take(10) {
        let (s, t) = (100.0 * row.self_value as f64 / total, 100.0 * row.total as f64 / total);
        let _ = writeln!(err, "{s:>6.2}% {t:>6.2}%  {}", row.name);
    }
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

    fn report(app: &str, kind: &str) -> Report {
        Report { app: app.into(), kind: kind.into(), profile: Profile::default(), header: String::new() }
    }

    #[test]
    fn one_profile_is_one_stem_in_the_output_directory() {
        let p = places(&[report("app", "wall")], Path::new("out"), "TS");
        assert_eq!(
            (p[0].dir.as_path(), p[0].stem.as_str(), p[0].data_stem.as_str()),
            (Path::new("out"), "app-TS", "app-TS")
        );
    }

    #[test]
    fn several_profiles_of_one_app_share_a_directory_named_after_it() {
        let p = places(&[report("app", "wall"), report("app", "memory"), report("app", "wall")], Path::new("o"), "TS");
        assert!(p.iter().all(|p| p.dir == Path::new("o/app-TS")));
        let stems: Vec<&str> = p.iter().map(|p| p.stem.as_str()).collect();
        assert_eq!(stems, ["app.wall", "app.memory", "app.wall.2"]);
        assert_eq!(p[1].data_stem, "app.memory-TS");
    }

    #[test]
    fn several_apps_share_a_kiln_adhoc_directory() {
        let p = places(&[report("a", "wall"), report("b", "wall")], Path::new("o"), "TS");
        assert_eq!(p[0].dir, Path::new("o/kiln-adhoc-TS"));
        assert_eq!((p[0].stem.as_str(), p[1].stem.as_str()), ("a.wall", "b.wall"));
    }
}
