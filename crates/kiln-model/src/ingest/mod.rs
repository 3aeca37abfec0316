//! The pure half of ingestion: what Pyroscope's `/ingest`, Push and JFR
//! handlers do to a request between parsing its bytes and storing series
//! (reference §1.a, §1.b). No I/O: the server feeds these functions the
//! query parameters, form fields and decoded profiles.
//!
//! - [`attime`]: `from` / `until` values.
//! - [`legacy`]: query parameters, labels of pprof / JFR uploads, and text
//!   or tree uploads turned into a typed profile.
//! - [`sample_type_config`]: the multipart `sample_type_config` field.
//! - [`scripting_names`]: `"<filename> <function>"` names for pyspy, rbspy.
//! - [`jfr_labels`]: the multipart `labels` field of JFR uploads.
//! - [`series`]: Push API normalisation and the split into one series per
//!   sample type and sample-label group.
//! - [`limits`]: validation limits and truncation.
//! - [`clamp`]: sample values too large to sum, clamped and counted.

pub mod attime;
pub mod clamp;
mod intern;
pub mod jfr_labels;
pub mod labels;
pub mod legacy;
pub mod limits;
pub mod sample_type_config;
pub mod scripting_names;
pub mod series;

pub use labels::LabelSet;
pub use limits::{Limits, Reason, Rejection};
pub use series::{PushSeries, SeriesProfile};
