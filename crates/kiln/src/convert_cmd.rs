//! `kiln convert INPUT [-o OUTPUT] [--to FORMAT]`.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use kiln_model::convert::{convert, ConvertOptions, OutputFormat};
use kiln_model::detect::Format;

#[derive(Args)]
pub struct ConvertArgs {
    /// Input file, or `-` for standard input.
    input: PathBuf,
    /// Output file, or `-` (the default) for standard output.
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Output format: pprof, folded, speedscope or flamebearer.
    #[arg(long, default_value = "folded", value_parser = parse_to)]
    to: OutputFormat,
    /// Input format, when it cannot be detected: pprof, jfr, speedscope,
    /// flamebearer, perf_script, folded, lines, tree or trie.
    #[arg(long, value_parser = parse_from)]
    from: Option<Format>,
    /// Which profile to write when the input holds several (JFR: process_cpu, memory, ...).
    #[arg(long)]
    profile: Option<String>,
    /// Which sample type to write for folded, speedscope and flamebearer.
    #[arg(long)]
    sample_type: Option<String>,
    /// Flame graph node limit for flamebearer output (0 keeps every node).
    #[arg(long, default_value_t = 8192)]
    max_nodes: i64,
}

fn parse_to(s: &str) -> Result<OutputFormat, String> {
    OutputFormat::from_name(s).ok_or_else(|| format!("unknown output format {s:?}"))
}

fn parse_from(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| format!("unknown input format {s:?}"))
}

pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    let input = read_input(&args.input)?;
    let opts = ConvertOptions {
        from: args.from,
        to: args.to,
        profile: args.profile,
        sample_type: args.sample_type,
        max_nodes: args.max_nodes,
    };
    let out = convert(&input, &opts).map_err(|e| anyhow!("{}: {e}", args.input.display()))?;
    write_output(&args.output, &out)
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
