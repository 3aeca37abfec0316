//! `kiln diff BASE NEW [-o OUT.html] [--fail-above PCT]`: a diff flame graph
//! of two profile files, the functions whose share grew most, and a
//! regression gate for CI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Args;
use kiln_model::convert::{profile_type, sample_type_index};
use kiln_model::detect::decode_any;
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::top::top_table;
use kiln_model::{Profile, Tree};
use kiln_render::ReportMeta;

#[derive(Args)]
pub struct DiffArgs {
    /// The baseline profile (any format `kiln convert` reads).
    base: PathBuf,
    /// The profile to compare with the baseline.
    new: PathBuf,
    /// Where the diff HTML report goes.
    #[arg(short, long, default_value = "kiln-diff.html")]
    output: PathBuf,
    /// Exit with code 1 when a function's self share grew by more than this many percentage points.
    #[arg(long)]
    fail_above: Option<f64>,
}

/// A function whose self share changed between the two profiles.
struct Growth {
    name: String,
    base: f64,
    new: f64,
}

impl Growth {
    fn points(&self) -> f64 {
        self.new - self.base
    }
}

/// Writes the report and prints the growth; returns the exit code for kiln.
pub fn run(args: DiffArgs) -> anyhow::Result<i32> {
    let (_, base_tree) = load(&args.base)?;
    let (new, new_tree) = load(&args.new)?;
    let diff = flame_graph_diff(&base_tree, &new_tree, 8192).map_err(|e| anyhow!("diffing: {e}"))?;
    let st = sample_type_index(&new, None)?;
    let title = format!("{} vs {}", file_name(&args.base), file_name(&args.new));
    let subject = format!("{} → {}", args.base.display(), args.new.display());
    let meta = ReportMeta::for_profile(&title, &subject, &new, &profile_type("process_cpu", &new, st));
    std::fs::write(&args.output, kiln_render::diff_html(&meta, &diff))
        .with_context(|| format!("writing {}", args.output.display()))?;
    let growth = growth(&base_tree, &new_tree);
    print_growth(&growth);
    eprintln!("kiln: wrote {}", args.output.display());
    Ok(match (args.fail_above, growth.first()) {
        (Some(limit), Some(worst)) if worst.points() > limit => {
            eprintln!(
                "kiln: {} grew by {:.2} points ({:.2}% -> {:.2}% self), more than --fail-above {limit}",
                worst.name,
                worst.points(),
                worst.base,
                worst.new
            );
            1
        }
        _ => 0,
    })
}

/// The first profile of a file and its tree of the default sample type.
fn load(path: &Path) -> anyhow::Result<(Profile, Tree)> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, decoded) = decode_any(&data).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let profile = decoded.into_iter().next().ok_or_else(|| anyhow!("{}: no profile", path.display()))?.profile;
    let st = sample_type_index(&profile, None).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let tree = Tree::from_profile(&profile, st);
    Ok((profile, tree))
}

/// Self shares (percent of the total) by function name.
fn self_shares(tree: &Tree) -> BTreeMap<String, f64> {
    let total = tree.total().max(1) as f64;
    top_table(tree).into_iter().map(|row| (row.name, 100.0 * row.self_value as f64 / total)).collect()
}

/// Every function of either profile, the most grown first.
fn growth(base: &Tree, new: &Tree) -> Vec<Growth> {
    let (base, new) = (self_shares(base), self_shares(new));
    let names: std::collections::BTreeSet<&String> = base.keys().chain(new.keys()).collect();
    let mut rows: Vec<Growth> = names
        .into_iter()
        .map(|n| Growth {
            name: n.clone(),
            base: base.get(n).copied().unwrap_or(0.0),
            new: new.get(n).copied().unwrap_or(0.0),
        })
        .collect();
    rows.sort_by(|a, b| b.points().total_cmp(&a.points()).then_with(|| a.name.cmp(&b.name)));
    rows
}

fn print_growth(rows: &[Growth]) {
    println!("{:>8} {:>8} {:>8}  function (self share, most grown first)", "base%", "new%", "change");
    for row in rows.iter().filter(|r| r.points() > 0.0).take(10) {
        println!("{:>7.2}% {:>7.2}% {:>+8.2}  {}", row.base, row.new, row.points(), row.name);
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
