//! `kiln-query`: Kiln's query engine over `kiln-store`, answering as
//! Pyroscope's querier does (reference §2.a): label selectors (the language
//! lives in `kiln_model::selector`, re-exported here), profile type ids,
//! time ranges in milliseconds, and the querier methods (`ProfileTypes`,
//! `LabelNames`, `LabelValues`, `Series`, `SelectMergeStacktraces` by
//! selector, by profile id or by span or trace ids, as a tree or a pprof,
//! `SelectMergeProfile`, `SelectMergeSpanProfile`, `SelectSeries` (with
//! exemplars and call sites), `SelectHeatmap`, `Diff`, `GetProfileStats`,
//! `AnalyzeQuery`). No transport: the server maps wire messages to these
//! functions. Work proportional to the data a query reads runs off the
//! async runtime: in the store's scans and merges, or through [`blocking`].

mod analyze;
mod blocking;
mod by_id;
mod error;
mod exemplars;
mod heatmap;
mod labels;
mod merge;
mod pprof;
mod sample_filter;
mod series;
mod series_exemplars;
mod time;

pub use analyze::{analyze_query, QueryScope};
pub use blocking::blocking;
pub use by_id::select_merge_tree;
pub use error::{ErrorKind, QueryError, Result};
pub use exemplars::{Exemplar, ExemplarKind};
pub use heatmap::{select_heatmap, HeatmapQueryType, HeatmapRequest, HeatmapSeries, HeatmapSlot, Y_BUCKETS};
/// The selector language, from `kiln-model` where the API reads it too.
pub use kiln_model::selector::{AnyOf, MatchOp, Matcher, Query, Selector, Target, PROFILE_TYPE_LABEL};
pub use labels::{label_names, label_values, profile_stats, profile_types, series, ProfileStats};
pub use merge::{
    call_site, diff, diff_flame_graph, resolve_max_nodes, select_merge_flame_graph, select_merge_span_profile,
    select_merge_stacktraces, MergeRequest, MAX_NODES_LIMIT,
};
pub use pprof::{select_merge_profile, tree_pprof};
pub use sample_filter::{select_merge_filtered, SampleFilter};
pub use series::{select_series, Aggregation, Series, SeriesRequest};
pub use series_exemplars::{select_series_exemplars, ExemplarPoint, ExemplarSeries};
pub use time::TimeRangeMs;
