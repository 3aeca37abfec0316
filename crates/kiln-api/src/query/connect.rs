//! `POST /querier.v1.QuerierService/<Method>` over Connect (binary
//! `application/proto` and `application/json`) and gRPC: each method's
//! request decoded and handed to the [`QueryService`], its answer encoded
//! on the blocking pool; the protocol is `crate::connect`'s.

use std::future::Future;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use prost::Message;

use crate::blocking::encoded;
use crate::connect::serve_method;
use crate::error::{ApiError, ApiErrorKind};
use crate::query::{Answer, QueryService};
use crate::request::tenant;
use crate::state::ApiState;

const SERVICE: &str = "querier.v1.QuerierService";

/// Serves one querier method in the request's protocol.
pub async fn serve(
    State(state): State<ApiState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (service, name, h) = (state.query.clone(), method.as_str(), &headers);
    let call = move |service: std::sync::Arc<dyn QueryService>, request: Vec<u8>| async move {
        dispatch(service.as_ref(), &tenant(h)?, name, &request).await
    };
    serve_method(&state, SERVICE, "querier", &method, &headers, body, service, call).await
}

/// Decodes the request of `method`, calls the service, encodes its answer.
async fn dispatch(s: &dyn QueryService, tenant: &str, method: &str, req: &[u8]) -> Result<Vec<u8>, ApiError> {
    match method {
        "ProfileTypes" => call(req, |r| s.profile_types(tenant, r)).await,
        "LabelNames" => call(req, |r| s.label_names(tenant, r)).await,
        "LabelValues" => call(req, |r| s.label_values(tenant, r)).await,
        "Series" => call(req, |r| s.series(tenant, r)).await,
        "SelectMergeStacktraces" => call(req, |r| s.select_merge_stacktraces(tenant, r)).await,
        "SelectMergeSpanProfile" => call(req, |r| s.select_merge_span_profile(tenant, r)).await,
        "SelectMergeProfile" => call(req, |r| s.select_merge_profile(tenant, r)).await,
        "SelectSeries" => call(req, |r| s.select_series(tenant, r)).await,
        "SelectHeatmap" => call(req, |r| s.select_heatmap(tenant, r)).await,
        "Diff" => call(req, |r| s.diff(tenant, r)).await,
        "GetProfileStats" => call(req, |r| s.get_profile_stats(tenant, r)).await,
        "AnalyzeQuery" => call(req, |r| s.analyze_query(tenant, r)).await,
        other => Err(ApiError::new(ApiErrorKind::Internal, "querier", format!("{other} has no handler"))),
    }
}

fn call<'a, Req, Resp>(
    bytes: &[u8],
    f: impl FnOnce(Req) -> Answer<'a, Resp>,
) -> impl Future<Output = Result<Vec<u8>, ApiError>> + 'a
where
    Req: Message + Default,
    Resp: Message + Send + 'static,
{
    let decoded = Req::decode(bytes).map_err(|e| {
        let name = std::any::type_name::<Req>().rsplit("::").next().unwrap_or("request");
        ApiError::invalid("querier_request", format!("{name} is not valid protobuf: {e}"))
    });
    let pending = decoded.map(f);
    async move { encoded(pending?.await?).await }
}
