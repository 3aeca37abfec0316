//! What the legacy render routes share: their query-string parameters, the
//! legacy `query=` resolved to a profile type and a label selector, and
//! the flamebearer JSON they answer with.

use std::sync::Arc;

use kiln_model::flamebearer::{self, FlamebearerProfile};
use kiln_model::ingest::attime;
use kiln_model::pb::google::v1::Profile;
use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff};
use kiln_model::profile_type::ProfileType;
use kiln_model::selector::{Query, Target, PROFILE_TYPE_LABEL};
use kiln_model::{pprof, Tree};

use crate::error::{ApiError, ApiErrorKind};
use crate::pb::querier::v1 as q;
use crate::pb::types::v1 as t;
use crate::query::QueryService;
use crate::state::ApiState;

/// A request's query string, in order, repeated names kept.
pub type Params = [(String, String)];

/// The first value of `name`.
pub fn get<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Every value of `name`, in order.
pub fn all(params: &Params, name: &str) -> Vec<String> {
    params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
}

/// The query service, or `unavailable` when the server has none.
pub fn service(state: &ApiState) -> Result<Arc<dyn QueryService>, ApiError> {
    state
        .query
        .clone()
        .ok_or_else(|| ApiError::new(ApiErrorKind::Unavailable, "query", "this server has no query service"))
}

/// A time parameter (`attime` forms: `now-1h`, Unix s/ms/µs/ns,
/// `YYYYMMDD`) in Unix ms; absent or empty is now.
pub fn time_ms(params: &Params, name: &str, now_nanos: i64) -> Result<i64, ApiError> {
    let nanos = attime::parse(get(params, name).unwrap_or(""), now_nanos)
        .map_err(|e| ApiError::invalid("time", format!("invalid '{name}': {}", e.message)))?;
    Ok(nanos.div_euclid(1_000_000))
}

/// `max-nodes`, overridden by `maxNodes`; values that are not integers or
/// are 0 are ignored, as Pyroscope's `strconv.Atoi` checks do.
pub fn max_nodes(params: &Params) -> Option<i64> {
    let read = |name| get(params, name).and_then(|v| v.parse::<i64>().ok()).filter(|&n| n != 0);
    read("maxNodes").or_else(|| read("max-nodes"))
}

/// The names of a query's parameters: `query`/`from`/`until`, or the
/// `left...`/`right...` ones of a diff.
#[derive(Clone, Copy)]
pub struct Fields {
    pub query: &'static str,
    pub from: &'static str,
    pub until: &'static str,
}

pub const PLAIN: Fields = Fields { query: "query", from: "from", until: "until" };
pub const LEFT: Fields = Fields { query: "leftQuery", from: "leftFrom", until: "leftUntil" };
pub const RIGHT: Fields = Fields { query: "rightQuery", from: "rightFrom", until: "rightUntil" };

/// A legacy query made into what the querier API takes.
#[derive(Debug, Clone)]
pub struct Selection {
    pub profile_type: ProfileType,
    pub label_selector: String,
    /// Unix ms.
    pub start: i64,
    pub end: i64,
    /// What the query names before its braces: `app.cpu` or a profile type id.
    pub app_name: String,
    /// The query as Kiln reads it back, e.g. `app.cpu{env="prod"}`.
    pub query: String,
}

impl Selection {
    /// Reads the query and range of `fields`; a v0 application name
    /// (`app.cpu{...}`) is resolved to the profile type its series have.
    pub async fn read(
        svc: &dyn QueryService,
        tenant: &str,
        params: &Params,
        fields: Fields,
        now_nanos: i64,
    ) -> Result<Selection, ApiError> {
        let text = get(params, fields.query).filter(|s| !s.trim().is_empty());
        let text = text.ok_or_else(|| ApiError::invalid("query", format!("'{}' is required", fields.query)))?;
        let start = time_ms(params, fields.from, now_nanos)?;
        let end = time_ms(params, fields.until, now_nanos)?;
        let parsed = Query::parse(text).map_err(|e| ApiError::from(e).with_context(&format!("'{}'", fields.query)))?;
        Selection::resolve(svc, tenant, text, parsed, start, end).await
    }

    /// A parsed query over `[start, end]` ms.
    pub async fn resolve(
        svc: &dyn QueryService,
        tenant: &str,
        text: &str,
        parsed: Query,
        start: i64,
        end: i64,
    ) -> Result<Selection, ApiError> {
        let app_name = text.split('{').next().unwrap_or("").trim().to_owned();
        let (profile_type, label_selector) = match &parsed.target {
            Target::ProfileType(pt) => (pt.clone(), parsed.selector.to_string()),
            Target::Any => {
                return Err(ApiError::invalid("query", format!("{text:?} must contain a profile-type selection")))
            }
            Target::App { name, sample_type, .. } => {
                let filter = parsed.filter().to_string();
                let req = t::LabelValuesRequest {
                    name: PROFILE_TYPE_LABEL.into(),
                    matchers: vec![filter.clone()],
                    start,
                    end,
                };
                let ids = svc.label_values(tenant, req).await?.names;
                let found = ids.iter().find_map(|id| ProfileType::parse(id).ok());
                (found.unwrap_or_else(|| ProfileType::new(name, (sample_type, ""), ("", ""))), filter)
            }
        };
        let query = format!("{app_name}{}", parsed.selector);
        Ok(Selection { profile_type, label_selector, start, end, app_name, query })
    }

    /// Its `SelectMergeStacktraces` request.
    pub fn merge_request(&self, max_nodes: Option<i64>) -> q::SelectMergeStacktracesRequest {
        q::SelectMergeStacktracesRequest {
            profile_type_id: self.profile_type.id(),
            label_selector: self.label_selector.clone(),
            start: self.start,
            end: self.end,
            max_nodes,
            ..Default::default()
        }
    }

    /// Its `SelectMergeProfile` request.
    pub fn profile_request(&self, max_nodes: Option<i64>) -> q::SelectMergeProfileRequest {
        q::SelectMergeProfileRequest {
            profile_type_id: self.profile_type.id(),
            label_selector: self.label_selector.clone(),
            start: self.start,
            end: self.end,
            max_nodes,
            ..Default::default()
        }
    }
}

/// Pyroscope's `ExportToFlamebearer`.
pub fn export(fg: &FlameGraph, profile_type: &ProfileType) -> FlamebearerProfile {
    flamebearer::single(fg, profile_type)
}

/// `ExportDiffToFlamebearer`: [`export`] of a diff, `double` format.
pub fn export_diff(fg: &FlameGraphDiff, profile_type: &ProfileType) -> FlamebearerProfile {
    flamebearer::double(fg, profile_type)
}

/// The call tree of a merged pprof profile's first sample type.
pub fn tree_of(profile: Profile) -> Result<Tree, ApiError> {
    let model = pprof::from_message(profile)
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, "query", format!("merged profile: {e}")))?;
    Ok(Tree::from_profile(&model, 0))
}

/// Defines an axum handler for a `GET` query route: the state, the query
/// string and the headers go to `$request`, whose error becomes the
/// response. The legacy and v0 render routes are all this shape.
macro_rules! query_handler {
    ($(#[$doc:meta])* $name:ident => $request:ident) => {
        $(#[$doc])*
        pub async fn $name(
            axum::extract::State(state): axum::extract::State<crate::state::ApiState>,
            axum::extract::Query(params): axum::extract::Query<Vec<(String, String)>>,
            headers: axum::http::HeaderMap,
        ) -> axum::response::Response {
            crate::response::answer($request(&state, &params, &headers).await)
        }
    };
}
pub(crate) use query_handler;
