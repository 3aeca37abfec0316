//! v0 applications over v1 series: `GET /api/apps` and the app names of
//! `/label-values?label=__name__`. An app is a `service_name` and the v0
//! suffix its profile type stands for, e.g. `checkout.cpu`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use kiln_model::profile_type::ProfileType;
use kiln_model::selector::PROFILE_TYPE_LABEL;
use serde::Serialize;

use crate::error::ApiError;
use crate::pb::querier::v1 as q;
use crate::query::params::service;
use crate::query::QueryService;
use crate::request::tenant;
use crate::response::{answer, go_json, json_response};
use crate::state::ApiState;

const SPY_LABEL: &str = "pyroscope_spy";
const SERVICE_LABEL: &str = "service_name";

/// One entry of `/api/apps` (`appmetadata.ApplicationMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct App {
    pub name: String,
    #[serde(rename = "spyName", skip_serializing_if = "String::is_empty")]
    pub spy_name: String,
    #[serde(rename = "sampleRate", skip_serializing_if = "is_zero")]
    pub sample_rate: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub units: String,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// `GET /api/apps`.
pub async fn apps(State(state): State<ApiState>, headers: HeaderMap) -> Response {
    let result = async {
        let (svc, tenant) = (service(&state)?, tenant(&headers)?);
        let now_ms = state.now().div_euclid(1_000_000);
        let apps = list(svc.as_ref(), &tenant, Vec::new(), 0, now_ms).await?;
        Ok(json_response(go_json(&apps)))
    };
    answer(result.await)
}

/// The app names of the series matching `matchers`, sorted.
pub async fn app_names(
    svc: &dyn QueryService,
    tenant: &str,
    matchers: Vec<String>,
    start: i64,
    end: i64,
) -> Result<Vec<String>, ApiError> {
    Ok(list(svc, tenant, matchers, start, end).await?.into_iter().map(|a| a.name).collect())
}

/// The apps of the series matching `matchers`, by name.
async fn list(
    svc: &dyn QueryService,
    tenant: &str,
    matchers: Vec<String>,
    start: i64,
    end: i64,
) -> Result<Vec<App>, ApiError> {
    let label_names = vec![SERVICE_LABEL.to_owned(), PROFILE_TYPE_LABEL.to_owned(), SPY_LABEL.to_owned()];
    let req = q::SeriesRequest { matchers, label_names, start, end };
    let mut apps: BTreeMap<String, App> = BTreeMap::new();
    for set in svc.series(tenant, req).await?.labels_set {
        let value = |name: &str| set.labels.iter().find(|l| l.name == name).map_or("", |l| l.value.as_str());
        let (service_name, spy) = (value(SERVICE_LABEL), value(SPY_LABEL));
        let Ok(pt) = ProfileType::parse(value(PROFILE_TYPE_LABEL)) else { continue };
        let Some(suffix) = v0_suffix(&pt) else { continue };
        if service_name.is_empty() {
            continue;
        }
        let name = format!("{service_name}.{suffix}");
        let (units, sample_rate) = v0_units(suffix, &pt);
        let app = apps.entry(name.clone()).or_insert(App { name, spy_name: String::new(), sample_rate, units });
        if app.spy_name.is_empty() {
            app.spy_name = spy.to_owned();
        }
    }
    Ok(apps.into_values().collect())
}

/// The v0 name suffix of a profile type (the inverse of the legacy ingest
/// table); `None` for `process_cpu:samples`, the sample count kept next to
/// CPU time.
pub fn v0_suffix(pt: &ProfileType) -> Option<&str> {
    Some(match (pt.name.as_str(), pt.sample_type.as_str()) {
        ("process_cpu", "samples") => return None,
        (_, "cpu") => "cpu",
        (_, "wall") => "wall",
        ("goroutine" | "goroutines", _) => "goroutines",
        ("mutex", "contentions") => "mutex_count",
        ("mutex", "delay") => "mutex_duration",
        ("block", "contentions") => "block_count",
        ("block", "delay") => "block_duration",
        ("exceptions", _) => "exceptions",
        (_, sample_type) => sample_type,
    })
}

/// v0's units and sample rate of an app of this suffix.
fn v0_units(suffix: &str, pt: &ProfileType) -> (String, u32) {
    let units = match suffix {
        "cpu" | "wall" => return ("samples".into(), 100),
        "goroutines" => "goroutines",
        s if s.ends_with("_objects") => "objects",
        s if s.ends_with("_space") => "bytes",
        s if s.ends_with("_count") => "lock_samples",
        s if s.ends_with("_duration") => "lock_nanoseconds",
        _ => pt.sample_unit.as_str(),
    };
    (units.to_owned(), 0)
}

/// `selector` (`{...}`) with a `__profile_type__` matcher added.
pub fn with_profile_type(selector: &str, profile_type_id: &str) -> String {
    let matcher = format!("{PROFILE_TYPE_LABEL}={profile_type_id:?}");
    let inner = selector.trim().trim_start_matches('{').trim_end_matches('}').trim();
    if inner.is_empty() {
        format!("{{{matcher}}}")
    } else {
        format!("{{{matcher}, {inner}}}")
    }
}
