//! `kiln-query`: Kiln's query engine over `kiln-store`, answering as
//! Pyroscope's querier does (reference §2.a): label selectors (the language
//! lives in `kiln_model::selector`, re-exported here), profile type ids,
//! time ranges in milliseconds, and the querier methods (`ProfileTypes`,
//! `LabelNames`, `LabelValues`, `Series`, `SelectMergeStacktraces` by
//! selector or by profile id, as a tree or a pprof, `SelectMergeProfile`,
//! `SelectMergeSpanProfile`, `SelectSeries`, `Diff`, `GetProfileStats`,
//! `AnalyzeQuery`). No transport: the server maps wire messages to these
//! functions.

mod analyze;
mod by_id;
mod error;
mod labels;
mod merge;
mod pprof;
mod series;
mod time;

pub use analyze::{analyze_query, QueryScope};
pub use by_id::select_merge_tree;
pub use error::{ErrorKind, QueryError, Result};
/// The selector language, from `kiln-model` where the API reads it too.
pub use kiln_model::selector::{AnyOf, MatchOp, Matcher, Query, Selector, Target, PROFILE_TYPE_LABEL};
pub use labels::{label_names, label_values, profile_stats, profile_types, series, ProfileStats};
pub use merge::{
    call_site, diff, diff_flame_graph, resolve_max_nodes, select_merge_flame_graph, select_merge_span_profile,
    select_merge_stacktraces, MergeRequest, MAX_NODES_LIMIT,
};
pub use pprof::{select_merge_profile, tree_pprof};
pub use series::{select_series, Aggregation, Series, SeriesRequest};
pub use time::TimeRangeMs;
