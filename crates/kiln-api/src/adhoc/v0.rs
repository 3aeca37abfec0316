//! Pyroscope v0's adhoc routes (`v0.37.2:pkg/api/adhoc.go`, reference §3)
//! over the same [`AdhocStore`]: `GET /api/adhoc/v1/profiles` (an object
//! keyed by id, as v0 answers it, of `{id, name, updatedAt}` with the file
//! name as `name`), `GET /api/adhoc/v1/profile/{id}` (a `single`
//! flamebearer of the file's default profile type) and
//! `GET /api/adhoc/v1/diff/{left}/{right}` (a `double` one).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use crate::adhoc::connect::{list, load};
use crate::adhoc::render;
use crate::adhoc::TenantFiles;
use crate::blocking::blocking;
use crate::error::{ApiError, ApiErrorKind};
use crate::request::tenant;
use crate::response::{answer, go_json, json_response};
use crate::state::ApiState;

#[derive(Serialize)]
struct Listed {
    id: String,
    name: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

/// `GET /api/adhoc/v1/profiles`.
pub async fn profiles(State(state): State<ApiState>, headers: HeaderMap) -> Response {
    answer(listed(&state, &headers).await)
}

/// `GET /api/adhoc/v1/profile/{id}`.
pub async fn profile(State(state): State<ApiState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    answer(single(&state, &headers, &id).await)
}

/// `GET /api/adhoc/v1/diff/{left}/{right}`.
pub async fn diff(
    State(state): State<ApiState>,
    Path((left, right)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    answer(double(&state, &headers, &left, &right).await)
}

/// The request's tenant's files.
fn files(state: &ApiState, headers: &HeaderMap) -> Result<TenantFiles, ApiError> {
    let no_store = || ApiError::new(ApiErrorKind::NotFound, "adhoc", "this server has no adhoc store");
    Ok(TenantFiles { store: state.adhoc.clone().ok_or_else(no_store)?, tenant: tenant(headers)? })
}

async fn listed(state: &ApiState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let files = list(&files(state, headers)?).await?.profiles;
    let by_id: BTreeMap<String, Listed> = files
        .into_iter()
        .map(|f| {
            let updated_at = kiln_render::rfc3339(f.uploaded_at.saturating_mul(1_000_000));
            (f.id.clone(), Listed { name: f.id.clone(), id: f.id, updated_at })
        })
        .collect();
    Ok(json_response(go_json(&by_id)))
}

async fn single(state: &ApiState, headers: &HeaderMap, id: &str) -> Result<Response, ApiError> {
    let (_, parsed) = load(&files(state, headers)?, id).await?;
    let rendered = blocking(move || Ok(parsed.render(None, None))).await?;
    Ok(json_response(rendered.flamebearer))
}

async fn double(state: &ApiState, headers: &HeaderMap, left: &str, right: &str) -> Result<Response, ApiError> {
    let files = files(state, headers)?;
    let (l, r) = futures::try_join!(load(&files, left), load(&files, right))?;
    let rendered = blocking(move || render::diff(&l.1, &r.1, None, None)).await?;
    Ok(json_response(rendered.flamebearer))
}
