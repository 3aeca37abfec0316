//! `kiln query merge|series|labels`: asks a running server through its
//! Connect querier API (binary protobuf), as Pyroscope's `profilecli query`
//! does.

mod client;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use kiln_api::pb::querier::v1 as querier;
use kiln_api::pb::types::v1 as types;
use kiln_model::flamegraph::flame_graph;
use kiln_model::profile_type::ProfileType;
use kiln_model::{flamebearer, folded, pprof, Tree};
use kiln_render::ReportMeta;

use client::Client;

#[derive(Args)]
pub struct QueryArgs {
    #[command(subcommand)]
    command: QueryCommand,
}

#[derive(Subcommand)]
enum QueryCommand {
    /// Merge the matching profiles into one: pprof, folded, html or json.
    Merge(MergeArgs),
    /// Per-step totals of the matching profiles, as JSON or a table.
    Series(SeriesArgs),
    /// Label names, or the values of one label with `--label`.
    Labels(LabelsArgs),
}

/// What every query says: where the server is, whose data, which range.
#[derive(Args)]
struct Common {
    /// The server's base URL.
    #[arg(long, default_value = "http://localhost:4040")]
    url: String,
    /// Tenant, sent as `X-Scope-OrgID`.
    #[arg(long)]
    tenant: Option<String>,
    /// API token of a server with auth on, sent as `Authorization: Bearer`
    /// [default: $KILN_TOKEN, which `ps` does not show].
    #[arg(long)]
    token: Option<String>,
    /// Label selector, e.g. `{service_name="api"}`.
    #[arg(long, default_value = "{}")]
    query: String,
    /// Start: `now-1h`, Unix seconds/ms/µs/ns or YYYYMMDD.
    #[arg(long, default_value = "now-1h")]
    from: String,
    /// End, in the same forms as `--from`.
    #[arg(long, default_value = "now")]
    to: String,
}

#[derive(Args)]
struct MergeArgs {
    #[command(flatten)]
    common: Common,
    /// Profile type id.
    #[arg(long, default_value = "process_cpu:cpu:nanoseconds:cpu:nanoseconds")]
    profile_type: String,
    #[arg(long, value_enum, default_value_t = MergeFormat::Pprof)]
    output_format: MergeFormat,
    /// Output file; standard output when absent or `-`.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Node limit of the merged profile, other nodes folded into `other`
    /// (0: the server's default, 8192).
    #[arg(long, default_value_t = 0)]
    max_nodes: i64,
}

#[derive(Clone, Copy, ValueEnum)]
enum MergeFormat {
    Pprof,
    Folded,
    Html,
    Json,
}

#[derive(Args)]
struct SeriesArgs {
    #[command(flatten)]
    common: Common,
    /// Profile type id.
    #[arg(long, default_value = "process_cpu:cpu:nanoseconds:cpu:nanoseconds")]
    profile_type: String,
    /// Time between points, e.g. `15s`, `1m` (a bare number counts seconds).
    #[arg(long, default_value = "15s", value_parser = crate::parse_duration)]
    step: Duration,
    /// Label names to group the series by (repeatable).
    #[arg(long)]
    group_by: Vec<String>,
    /// Average the profiles of a step instead of summing them.
    #[arg(long)]
    average: bool,
    #[arg(long, value_enum, default_value_t = SeriesFormat::Table)]
    output_format: SeriesFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeriesFormat {
    Table,
    Json,
}

#[derive(Args)]
struct LabelsArgs {
    #[command(flatten)]
    common: Common,
    /// Print the values of this label instead of the label names.
    #[arg(long)]
    label: Option<String>,
}

pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    match args.command {
        QueryCommand::Merge(a) => merge(a),
        QueryCommand::Series(a) => series(a),
        QueryCommand::Labels(a) => labels(a),
    }
}

impl Common {
    /// The client and the range in Unix ms.
    fn open(&self) -> anyhow::Result<(Client, i64, i64)> {
        let token = self.token.clone().or_else(|| std::env::var("KILN_TOKEN").ok().filter(|t| !t.is_empty()));
        let client = Client::new(&self.url, self.tenant.clone(), token)?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as i64;
        let ms = |flag: &str, v: &str| -> anyhow::Result<i64> {
            let nanos = kiln_model::ingest::attime::parse(v, now).with_context(|| format!("--{flag} {v:?}"))?;
            Ok(nanos.div_euclid(1_000_000))
        };
        Ok((client, ms("from", &self.from)?, ms("to", &self.to)?))
    }
}

fn merge(a: MergeArgs) -> anyhow::Result<()> {
    let (client, start, end) = a.common.open()?;
    let profile_type = ProfileType::parse(&a.profile_type).context("--profile-type")?;
    let max_nodes = (a.max_nodes != 0).then_some(a.max_nodes);
    let bytes = match a.output_format {
        MergeFormat::Pprof | MergeFormat::Folded => {
            let req = querier::SelectMergeProfileRequest {
                profile_type_id: a.profile_type.clone(),
                label_selector: a.common.query.clone(),
                start,
                end,
                max_nodes,
                ..Default::default()
            };
            let raw = client.call_raw("SelectMergeProfile", &req)?;
            let profile = pprof::decode(&raw).context("decoding the server's pprof")?;
            match a.output_format {
                MergeFormat::Folded => folded::encode(&profile, 0).into_bytes(),
                _ => pprof::encode_gzip(&profile),
            }
        }
        MergeFormat::Html | MergeFormat::Json => {
            let req = querier::SelectMergeStacktracesRequest {
                profile_type_id: a.profile_type.clone(),
                label_selector: a.common.query.clone(),
                start,
                end,
                max_nodes,
                ..Default::default()
            };
            let resp: querier::SelectMergeStacktracesResponse = client.call("SelectMergeStacktraces", &req)?;
            let fg = resp.flamegraph.unwrap_or_else(|| flame_graph(&Tree::new(), 0));
            match a.output_format {
                MergeFormat::Html => kiln_render::single_html(&report_meta(&a, &profile_type, start), &fg).into_bytes(),
                _ => flamebearer::to_json(&flamebearer::single(&fg, &profile_type)).into_bytes(),
            }
        }
    };
    write_output(a.output.as_ref(), &bytes)
}

/// The header of an HTML report of a merge.
fn report_meta(a: &MergeArgs, profile_type: &ProfileType, start_ms: i64) -> ReportMeta {
    ReportMeta {
        title: format!("{} {}", a.common.query, profile_type.sample_type),
        subject: a.common.query.clone(),
        profile_type: profile_type.id(),
        unit: profile_type.sample_unit.clone(),
        date: kiln_render::rfc3339(start_ms.saturating_mul(1_000_000)),
        ..ReportMeta::default()
    }
}

fn write_output(path: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn series(a: SeriesArgs) -> anyhow::Result<()> {
    let (client, start, end) = a.common.open()?;
    if a.step.is_zero() {
        bail!("--step must be longer than 0");
    }
    let aggregation =
        if a.average { types::TimeSeriesAggregationType::Average } else { types::TimeSeriesAggregationType::Sum };
    let req = querier::SelectSeriesRequest {
        profile_type_id: a.profile_type.clone(),
        label_selector: a.common.query.clone(),
        start,
        end,
        group_by: a.group_by.clone(),
        step: a.step.as_secs_f64(),
        aggregation: Some(aggregation as i32),
        ..Default::default()
    };
    let resp: querier::SelectSeriesResponse = client.call("SelectSeries", &req)?;
    let text = match a.output_format {
        SeriesFormat::Json => series_json(&resp.series),
        SeriesFormat::Table => series_table(&resp.series),
    };
    write_output(None, text.as_bytes())
}

fn labels_text(labels: &[types::LabelPair]) -> String {
    let pairs: Vec<String> = labels.iter().map(|l| format!("{}={:?}", l.name, l.value)).collect();
    format!("{{{}}}", pairs.join(", "))
}

/// `[{"labels": {...}, "points": [{"timestamp": ms, "value": v}]}]`.
fn series_json(series: &[types::Series]) -> String {
    let out: Vec<serde_json::Value> = series
        .iter()
        .map(|s| {
            let labels: serde_json::Map<String, serde_json::Value> =
                s.labels.iter().map(|l| (l.name.clone(), l.value.clone().into())).collect();
            let points: Vec<serde_json::Value> =
                s.points.iter().map(|p| serde_json::json!({"timestamp": p.timestamp, "value": p.value})).collect();
            serde_json::json!({"labels": labels, "points": points})
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// One line per point: labels, RFC 3339 time, value.
fn series_table(series: &[types::Series]) -> String {
    let mut out = String::from("LABELS\tTIME\tVALUE\n");
    for s in series {
        let labels = labels_text(&s.labels);
        for p in &s.points {
            let time = kiln_render::rfc3339(p.timestamp.saturating_mul(1_000_000));
            out.push_str(&format!("{labels}\t{time}\t{}\n", p.value));
        }
    }
    out
}

fn labels(a: LabelsArgs) -> anyhow::Result<()> {
    let (client, start, end) = a.common.open()?;
    let matchers = vec![a.common.query.clone()];
    let names = match &a.label {
        Some(name) => {
            let req = types::LabelValuesRequest { name: name.clone(), matchers, start, end };
            client.call::<_, types::LabelValuesResponse>("LabelValues", &req)?.names
        }
        None => {
            let req = types::LabelNamesRequest { matchers, start, end };
            client.call::<_, types::LabelNamesResponse>("LabelNames", &req)?.names
        }
    };
    let mut text = names.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_output(None, text.as_bytes())
}
