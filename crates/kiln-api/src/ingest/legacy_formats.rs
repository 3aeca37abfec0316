//! The body formats of legacy ingestion and how each becomes labelled
//! profiles ready for the Push path.

use bytes::Bytes;
use kiln_model::ingest::legacy::{fix_time, jfr_labels, pprof_labels, text_series};
use kiln_model::ingest::scripting_names::fix_function_names;
use kiln_model::ingest::{jfr_labels as jfr_context, sample_type_config};
use kiln_model::{folded, jfr, lines, pprof, speedscope, tree_format, trie, Profile};

use crate::error::ApiError;
use crate::ingest::admission::inflate;
use crate::ingest::legacy_request::LegacyRequest;
use crate::ingest::multipart;
use crate::state::ApiState;

/// The body formats, chosen as Pyroscope's `readInputRawDataFromRequest`
/// does: the first matching rule wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Trie,
    Tree,
    Lines,
    Jfr,
    Pprof,
    Speedscope,
    PprofForm,
    Folded,
}

impl BodyFormat {
    pub fn select(format: Option<&str>, content_type: &str) -> BodyFormat {
        match (format.unwrap_or(""), content_type) {
            ("trie", _) | (_, "binary/octet-stream+trie") => BodyFormat::Trie,
            ("tree", _) | (_, "binary/octet-stream+tree") => BodyFormat::Tree,
            ("lines", _) => BodyFormat::Lines,
            ("jfr", _) => BodyFormat::Jfr,
            ("pprof", _) => BodyFormat::Pprof,
            ("speedscope", _) => BodyFormat::Speedscope,
            (_, ct) if ct.contains("multipart/form-data") => BodyFormat::PprofForm,
            _ => BodyFormat::Folded,
        }
    }

    /// The name used in metrics.
    pub fn name(self) -> &'static str {
        match self {
            BodyFormat::Trie => "trie",
            BodyFormat::Tree => "tree",
            BodyFormat::Lines => "lines",
            BodyFormat::Jfr => "jfr",
            BodyFormat::Pprof | BodyFormat::PprofForm => "pprof",
            BodyFormat::Speedscope => "speedscope",
            BodyFormat::Folded => "folded",
        }
    }
}

/// A labelled profile and its uncompressed size, ready for `prepare`.
pub struct Upload {
    pub labels: Vec<(String, String)>,
    pub profile: Profile,
    pub size: usize,
}

pub async fn decode_upload(
    state: &ApiState,
    req: &LegacyRequest,
    format: BodyFormat,
    content_type: &str,
    body: Bytes,
) -> Result<Vec<Upload>, ApiError> {
    match format {
        BodyFormat::Pprof | BodyFormat::PprofForm if needs_form(format, content_type) => {
            pprof_form(state, req, content_type, body).await
        }
        BodyFormat::Jfr if needs_form(format, content_type) => jfr_form(state, req, content_type, body).await,
        _ => decode_plain(state, req, format, &body),
    }
}

/// Whether the body is a multipart form to read as a stream.
pub fn needs_form(format: BodyFormat, content_type: &str) -> bool {
    let multipart = content_type.to_ascii_lowercase().contains("multipart/form-data");
    matches!(format, BodyFormat::PprofForm) || (multipart && matches!(format, BodyFormat::Pprof | BodyFormat::Jfr))
}

/// Decodes a body that is not a multipart form (see [`needs_form`]).
pub fn decode_plain(
    state: &ApiState,
    req: &LegacyRequest,
    format: BodyFormat,
    body: &[u8],
) -> Result<Vec<Upload>, ApiError> {
    match format {
        BodyFormat::Pprof | BodyFormat::PprofForm => pprof_upload(state, req, body, None),
        BodyFormat::Jfr => jfr_upload(state, req, body, None),
        text => text_upload(state, req, text, body),
    }
}

fn text_upload(
    state: &ApiState,
    req: &LegacyRequest,
    format: BodyFormat,
    body: &[u8],
) -> Result<Vec<Upload>, ApiError> {
    // Refused before parsing when over the profile size limit.
    let body = &*inflate(format.name(), body, state.decode_limit())?;
    let profile = match format {
        BodyFormat::Trie => trie::decode(body)?,
        BodyFormat::Tree => tree_format::decode(body)?,
        BodyFormat::Lines => lines::decode(body)?,
        BodyFormat::Speedscope => speedscope::decode(body)?,
        _ => folded::decode(body)?,
    };
    let typed = text_series(&req.name, &req.params, req.from_nanos, profile)
        .map_err(|e| ApiError::invalid("invalid_name", e.to_string()))?;
    Ok(typed.into_iter().map(|s| Upload { labels: s.labels, profile: s.profile, size: body.len() }).collect())
}

fn pprof_upload(
    state: &ApiState,
    req: &LegacyRequest,
    body: &[u8],
    config: Option<&sample_type_config::SampleTypeConfigs>,
) -> Result<Vec<Upload>, ApiError> {
    let raw = inflate("pprof", body, state.decode_limit())?;
    let mut profile = pprof::decode_with_limit(&raw, state.decode_limit())?;
    fix_time(&mut profile, req.from_nanos);
    fix_function_names(&mut profile, &req.params.spy_name);
    let labels = pprof_labels(&req.name, &req.params.spy_name, &profile, config);
    Ok(vec![Upload { labels, profile, size: raw.len() }])
}

async fn pprof_form(
    state: &ApiState,
    req: &LegacyRequest,
    content_type: &str,
    body: Bytes,
) -> Result<Vec<Upload>, ApiError> {
    let fields = multipart::fields(content_type, body, state.decode_limit()).await?;
    if fields.contains_key("prev_profile") {
        return Err(ApiError::invalid(
            "prev_profile",
            "unsupported client version: the prev_profile field (cumulative profiles) is not supported; send deltas",
        ));
    }
    let profile =
        fields.get("profile").ok_or_else(|| ApiError::invalid("missing_profile", "the form has no profile field"))?;
    let config = match fields.get("sample_type_config") {
        Some(json) => sample_type_config::parse(json)?,
        None => None,
    };
    pprof_upload(state, req, profile, config.as_ref())
}

fn jfr_upload(
    state: &ApiState,
    req: &LegacyRequest,
    body: &[u8],
    context: Option<&[u8]>,
) -> Result<Vec<Upload>, ApiError> {
    let options =
        jfr::DecodeOptions { limit: state.body_limit, sample_rate: Some(req.params.sample_rate).filter(|&r| r > 0) };
    let snapshot = context.map(|c| jfr_context::decode_with_limit(c, state.body_limit)).transpose()?;
    let profiles = jfr::decode_with_options(body, &options)?;
    Ok(profiles
        .into_iter()
        .map(|mut j| {
            if let Some(s) = &snapshot {
                jfr_context::apply(&mut j.profile, s);
            }
            let labels = jfr_labels(&req.name, &req.params.spy_name, &j.name, "");
            Upload { labels, profile: j.profile, size: body.len() }
        })
        .collect())
}

async fn jfr_form(
    state: &ApiState,
    req: &LegacyRequest,
    content_type: &str,
    body: Bytes,
) -> Result<Vec<Upload>, ApiError> {
    let fields = multipart::fields(content_type, body, state.body_limit).await?;
    let data = fields.get("jfr").ok_or_else(|| ApiError::invalid("missing_jfr", "the form has no jfr field"))?;
    jfr_upload(state, req, data, fields.get("labels").map(Vec::as_slice))
}
