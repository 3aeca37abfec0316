//! Writes a diff report of two profiles (any format Kiln reads):
//! `cargo run -p kiln-render --example diff_report -- BASELINE COMPARISON OUT.html`.
//! The browser tests use it until `kiln diff` exists.

use kiln_model::convert::{profile_type, sample_type_index};
use kiln_model::detect::decode_any;
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::{Profile, Tree};
use kiln_render::{diff_html, ReportMeta};

fn load(path: &str) -> Result<(String, Profile), Box<dyn std::error::Error>> {
    let data = std::fs::read(path)?;
    let (_, mut decoded) = decode_any(&data)?;
    let first = decoded.drain(..).next().ok_or("no profile in input")?;
    Ok((first.name, first.profile))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, comp, out] = args.as_slice() else {
        return Err("usage: diff_report BASELINE COMPARISON OUT.html".into());
    };
    let (name, left) = load(base)?;
    let (_, right) = load(comp)?;
    let (ls, rs) = (sample_type_index(&left, None)?, sample_type_index(&right, None)?);
    let fg = flame_graph_diff(&Tree::from_profile(&left, ls), &Tree::from_profile(&right, rs), 8192)?;
    let subject = format!("{base} \u{2192} {comp}");
    let meta = ReportMeta::for_profile("Diff", &subject, &left, &profile_type(&name, &left, ls));
    std::fs::write(out, diff_html(&meta, &fg))?;
    Ok(())
}
