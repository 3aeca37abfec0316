//! `kiln convert INPUT [-o OUTPUT] [--to FORMAT]`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Args;
use kiln_model::convert::{convert, profile_type, select, ConvertOptions, OutputFormat};
use kiln_model::detect::Format;
use kiln_model::flamegraph::flame_graph;
use kiln_model::Tree;
use kiln_render::ReportMeta;

#[derive(Args)]
pub struct ConvertArgs {
    /// Input file, or `-` for standard input.
    input: PathBuf,
    /// Output file, or `-` (the default) for standard output.
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Output format: pprof, folded, speedscope, flamebearer or html (a
    /// self-contained flame graph report).
    #[arg(long, default_value = "folded", value_parser = parse_to)]
    to: Target,
    /// Input format, when it cannot be detected: pprof, jfr, speedscope,
    /// flamebearer, perf_script, folded, lines, tree or trie.
    #[arg(long, value_parser = parse_from)]
    from: Option<Format>,
    /// Which profile to write when the input holds several (JFR: process_cpu, memory, ...).
    #[arg(long)]
    profile: Option<String>,
    /// Which sample type to write for folded, speedscope, flamebearer and html.
    #[arg(long)]
    sample_type: Option<String>,
    /// Flame graph node limit for flamebearer and html output (0 keeps every node).
    #[arg(long, default_value_t = 8192)]
    max_nodes: i64,
}

/// What `--to` names: a model format, or the HTML report.
#[derive(Clone, Copy)]
enum Target {
    Model(OutputFormat),
    Html,
}

fn parse_to(s: &str) -> Result<Target, String> {
    if s == "html" {
        return Ok(Target::Html);
    }
    OutputFormat::from_name(s).map(Target::Model).ok_or_else(|| format!("unknown output format {s:?}"))
}

fn parse_from(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("unknown input format {s:?}"))
}

pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    let input = read_input(&args.input)?;
    let opts = ConvertOptions {
        from: args.from,
        to: match args.to {
            Target::Model(to) => to,
            Target::Html => OutputFormat::Flamebearer,
        },
        profile: args.profile.clone(),
        sample_type: args.sample_type.clone(),
        max_nodes: args.max_nodes,
    };
    let out = match args.to {
        Target::Html => html_report(&input, &opts, &args)?.into_bytes(),
        Target::Model(_) => convert(&input, &opts).map_err(|e| anyhow!("{}: {e}", args.input.display()))?,
    };
    write_output(&args.output, &out)
}

/// The standalone HTML flame graph of the chosen profile and sample type.
fn html_report(input: &[u8], opts: &ConvertOptions, args: &ConvertArgs) -> anyhow::Result<String> {
    let (decoded, st) = select(input, opts).map_err(|e| anyhow!("{}: {e}", args.input.display()))?;
    let p = &decoded.profile;
    let fg = flame_graph(&Tree::from_profile(p, st), args.max_nodes);
    let title = file_name(&args.input);
    let meta =
        ReportMeta::for_profile(&title, &args.input.display().to_string(), p, &profile_type(&decoded.name, p, st));
    Ok(kiln_render::single_html(&meta, &fg))
}

fn file_name(path: &Path) -> String {
    match path.file_name() {
        Some(n) if path.as_os_str() != "-" => n.to_string_lossy().into_owned(),
        _ => "standard input".to_owned(),
    }
}

fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn write_output(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        return std::io::stdout().write_all(bytes).context("writing standard output");
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
