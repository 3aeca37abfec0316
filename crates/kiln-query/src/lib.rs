//! `kiln-query`: Kiln's query engine over `kiln-store`, answering as
//! Pyroscope's querier does (reference §2.a): the label selector language
//! (Prometheus matchers, the legacy `<profile type>{...}` and v0 FlameQL
//! `app.cpu{...}` forms), profile type ids, time ranges in milliseconds,
//! and the querier methods (`ProfileTypes`, `LabelNames`, `LabelValues`,
//! `Series`, `SelectMergeStacktraces` (with span and trace selectors),
//! `SelectMergeSpanProfile`, `SelectSeries` (with exemplars and call sites),
//! `SelectHeatmap`, `Diff`, `GetProfileStats`). No transport: the API layer calls these functions.

mod error;
mod exemplars;
mod heatmap;
mod labels;
mod merge;
mod parse;
mod sample_filter;
mod selector;
mod series;
mod series_exemplars;
mod time;

pub use error::{ErrorKind, QueryError, Result};
pub use exemplars::{Exemplar, ExemplarKind};
pub use heatmap::{select_heatmap, HeatmapQueryType, HeatmapRequest, HeatmapSeries, HeatmapSlot, Y_BUCKETS};
pub use labels::{label_names, label_values, profile_stats, profile_types, series, ProfileStats};
pub use merge::{
    call_site, diff, resolve_max_nodes, select_merge_flame_graph, select_merge_span_profile, select_merge_stacktraces,
    MergeRequest, MAX_NODES_LIMIT,
};
pub use parse::{Query, Target};
pub use sample_filter::{select_merge_filtered, SampleFilter};
pub use selector::{AnyOf, MatchOp, Matcher, Selector, PROFILE_TYPE_LABEL};
pub use series::{select_series, Aggregation, Series, SeriesRequest};
pub use series_exemplars::{select_series_exemplars, ExemplarPoint, ExemplarSeries};
pub use time::TimeRangeMs;
