//! Kiln's flame graph front end. The renderer is hand-written JavaScript and
//! CSS in `assets/` (ES modules, no third-party library, no bundler); this
//! crate inlines them into one self-contained HTML report, and hands them to
//! the server to serve as they are, with the web UI's own modules
//! (`assets/ui/`), which import the report's.

mod assets;
mod meta;
mod page;
mod payload;
mod ui_files;

use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff};
use serde::{Deserialize, Serialize};

pub use assets::assets;
pub use meta::rfc3339;
pub use ui_files::{ui_files, ui_page};

/// What a report shows in its header: what was profiled and how.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReportMeta {
    /// The page title.
    pub title: String,
    /// What was profiled: a command line or a service name.
    pub subject: String,
    /// The profile type id or name, e.g. `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
    pub profile_type: String,
    /// The sample unit: `nanoseconds`, `bytes`, `count`, ...
    pub unit: String,
    /// How long the profile covers; 0 when unknown.
    pub duration_nanos: i64,
    /// Samples per second; 0 when unknown.
    pub sample_rate: u32,
    /// When the profile was taken (RFC 3339); empty when unknown.
    pub date: String,
}

/// A standalone HTML report of one flame graph: one file, no network request.
pub fn single_html(meta: &ReportMeta, fg: &FlameGraph) -> String {
    page::html(meta, &payload::single(meta, fg))
}

/// A standalone HTML report of a diff of two profiles (baseline and comparison).
pub fn diff_html(meta: &ReportMeta, fg: &FlameGraphDiff) -> String {
    page::html(meta, &payload::double(meta, fg))
}
