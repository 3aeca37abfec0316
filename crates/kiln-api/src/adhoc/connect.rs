//! `POST /adhocprofiles.v1.AdHocProfileService/<Method>` over Connect
//! (proto and JSON) and gRPC, as Profiles Drilldown calls it: `List`,
//! `Get`, `Diff` and `Upload` over the state's [`AdhocStore`]. Decoding
//! and rendering run on the blocking pool. Each tenant sees its own
//! files.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use prost::Message;

use crate::adhoc::render::{self, Parsed, Rendered};
use crate::adhoc::{checked_id, file_stem, AdhocFile, TenantFiles};
use crate::blocking::{blocking, encoded};
use crate::connect::serve_method;
use crate::error::{ApiError, ApiErrorKind};
use crate::pb::adhocprofiles::v1 as a;
use crate::request::tenant;
use crate::state::ApiState;

const SERVICE: &str = "adhocprofiles.v1.AdHocProfileService";

/// Serves one method in the request's protocol.
pub async fn serve(
    State(state): State<ApiState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (store, now, name) = (state.adhoc.clone(), state.now(), method.as_str());
    let tenant = tenant(&headers);
    let call = move |store, request: Vec<u8>| async move {
        let files = TenantFiles { store, tenant: tenant? };
        dispatch(&files, name, &request, now).await
    };
    serve_method(&state, SERVICE, "adhoc", &method, &headers, body, store, call).await
}

/// `Upload`, on a route of its own: it writes, so auth asks more of it
/// than of the other methods.
pub async fn serve_upload(state: State<ApiState>, headers: HeaderMap, body: Body) -> Response {
    serve(state, Path("Upload".to_owned()), headers, body).await
}

async fn dispatch(files: &TenantFiles, method: &str, req: &[u8], now: i64) -> Result<Vec<u8>, ApiError> {
    match method {
        "List" => encoded(list(files).await?).await,
        "Get" => encoded(get(files, decode(req)?).await?).await,
        "Diff" => encoded(diff(files, decode(req)?).await?).await,
        "Upload" => encoded(upload(files, decode(req)?, now).await?).await,
        other => Err(ApiError::new(ApiErrorKind::Internal, "adhoc", format!("{other} has no handler"))),
    }
}

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, ApiError> {
    M::decode(bytes).map_err(|e| ApiError::invalid("adhoc_request", format!("not a valid request: {e}")))
}

/// Every saved profile, newest first (then by id).
pub async fn list(store: &TenantFiles) -> Result<a::AdHocProfilesListResponse, ApiError> {
    let mut files = store.list().await?;
    files.sort_by(|x, y| y.uploaded_at_ms.cmp(&x.uploaded_at_ms).then_with(|| x.id.cmp(&y.id)));
    let profiles = files
        .into_iter()
        .map(|f| a::AdHocProfilesProfileMetadata { id: f.id, name: f.name, uploaded_at: f.uploaded_at_ms })
        .collect();
    Ok(a::AdHocProfilesListResponse { profiles })
}

async fn get(store: &TenantFiles, r: a::AdHocProfilesGetRequest) -> Result<a::AdHocProfilesGetResponse, ApiError> {
    let (file, parsed) = load(store, &r.id).await?;
    let rendered = blocking(move || Ok(parsed.render(r.profile_type.as_deref(), r.max_nodes))).await?;
    Ok(get_response(file, rendered))
}

async fn diff(store: &TenantFiles, r: a::AdHocProfilesDiffRequest) -> Result<a::AdHocProfilesDiffResponse, ApiError> {
    let (left, right) = futures::try_join!(load(store, &r.left_id), load(store, &r.right_id))?;
    let rendered = blocking(move || render::diff(&left.1, &right.1, r.profile_type.as_deref(), r.max_nodes)).await?;
    Ok(a::AdHocProfilesDiffResponse {
        profile_types: rendered.profile_types,
        flamebearer_profile: rendered.flamebearer,
    })
}

async fn upload(
    store: &TenantFiles,
    r: a::AdHocProfilesUploadRequest,
    now_nanos: i64,
) -> Result<a::AdHocProfilesGetResponse, ApiError> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(r.profile.trim())
        .map_err(|e| ApiError::invalid("adhoc_upload", format!("profile is not valid base64: {e}")))?;
    if data.is_empty() {
        return Err(ApiError::invalid("adhoc_upload", "profile is empty"));
    }
    let (data, extension, rendered) = blocking(move || {
        let (format, parsed) = Parsed::decode(&data).map_err(|e| ApiError::from(e).with_context("profile"))?;
        let rendered = parsed.render(None, r.max_nodes);
        let extension = render::extension(format, &data);
        Ok((data, extension, rendered))
    })
    .await?;
    let stem = format!("{}-{}", file_stem(&r.name), timestamp(now_nanos));
    let file = store.save(&stem, extension, data).await?;
    Ok(get_response(file, rendered))
}

/// A file and its profiles; a file that does not decode is an error for
/// its id only.
pub async fn load(store: &TenantFiles, id: &str) -> Result<(AdhocFile, Parsed), ApiError> {
    let (file, data) = store.read(checked_id(id)?).await?;
    let id = file.id.clone();
    let parsed = blocking(move || {
        Parsed::decode(&data)
            .map_err(|e| {
                let message = format!("adhoc profile {id} cannot be read: {e}");
                ApiError::new(ApiErrorKind::Internal, "adhoc_file", message)
            })
            .map(|(_, parsed)| parsed)
    })
    .await?;
    Ok((file, parsed))
}

fn get_response(file: AdhocFile, rendered: Rendered) -> a::AdHocProfilesGetResponse {
    a::AdHocProfilesGetResponse {
        id: file.id,
        name: file.name,
        uploaded_at: file.uploaded_at_ms,
        profile_type: rendered.profile_type,
        profile_types: rendered.profile_types,
        flamebearer_profile: rendered.flamebearer,
    }
}

/// `YYYY-MM-DD-HH-MM-SS` in UTC, as `kiln adhoc` names its files.
fn timestamp(unix_nanos: i64) -> String {
    kiln_render::rfc3339(unix_nanos).replace(['T', ':'], "-").trim_end_matches('Z').to_owned()
}
