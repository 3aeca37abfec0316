//! What a legacy `/ingest` request says about itself in its query string:
//! the series name and labels, the start time, the sample rate, spy, units
//! and aggregation, and an explicit body format.

use kiln_model::ingest::attime;
use kiln_model::ingest::legacy::LegacyParams;
use kiln_model::ingest_name::IngestName;

use crate::error::ApiError;

/// What a legacy request says about itself, from its query string.
pub struct LegacyRequest {
    pub name: IngestName,
    pub from_nanos: i64,
    pub params: LegacyParams,
    pub format: Option<String>,
}

impl LegacyRequest {
    /// Reads the query string; `now` is what relative times are from.
    pub fn parse(query: &[(String, String)], now: i64) -> Result<LegacyRequest, ApiError> {
        let get = |k: &str| query.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let name =
            get("name").ok_or_else(|| ApiError::invalid("missing_name", "the name query parameter is required"))?;
        let time = |k: &str| {
            attime::parse(get(k).unwrap_or(""), now).map_err(|e| ApiError::invalid("invalid_time", format!("{k}: {e}")))
        };
        // `until` is checked but unused: a legacy profile's span comes from the
        // profile itself (pprof, JFR) or is zero (text formats), as in Pyroscope.
        time("until")?;
        Ok(LegacyRequest {
            name: IngestName::parse(name).map_err(|e| ApiError::invalid("invalid_name", e.to_string()))?,
            from_nanos: time("from")?,
            params: LegacyParams::from_query(get("sampleRate"), get("spyName"), get("units"), get("aggregationType")),
            format: get("format").map(str::to_owned),
        })
    }
}
