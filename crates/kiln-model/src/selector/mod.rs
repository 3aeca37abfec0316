//! The selector language: Prometheus label matchers evaluated as Prometheus
//! does (anchored regexes, a missing label is empty), the label selector
//! `{name="v", ...}`, and the legacy `<profile type>{...}` and v0 FlameQL
//! `app.cpu{...}` query forms. Pure: the store filters series with it
//! through its own `SeriesFilter` trait, the API reads legacy queries.
//! Errors are `InvalidArgument` whose message names the byte and what was
//! expected.

mod cursor;
mod matcher;
mod parse;

pub use matcher::{AnyOf, MatchOp, Matcher, Selector, PROFILE_TYPE_LABEL};
pub use parse::{Query, Target};
