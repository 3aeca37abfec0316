//! Shared by the auth tests: a router with auth on over stores that record
//! the tenant each call was for, the credentials it accepts, and requests
//! with or without them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHasher, SaltString};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kiln_api::auth::{sha256_hex, Authenticator, BasicUser, Role, Token};
use kiln_api::pb::querier::v1 as q;
use kiln_api::pb::types::v1 as t;
use kiln_api::{router, AdhocFile, AdhocStore, Answer, ApiError, ApiErrorKind, ApiState};
use kiln_api::{IngestSink, Ingested, QueryService, SinkError};
use tower::ServiceExt;

/// The tokens the router accepts, by what they may do.
pub const INGEST_A: &str = "kiln_ingest-a";
pub const READ_A: &str = "kiln_read-a";
pub const READ_AB: &str = "kiln_read-a-and-b";
pub const ADMIN_ANY: &str = "kiln_admin-any-tenant";
/// A Basic user: read on tenant `a`.
pub const USER: (&str, &str) = ("alice", "s3cret");

/// Tenants each store was called for, in order.
#[derive(Default)]
pub struct Calls(pub Mutex<Vec<String>>);

impl Calls {
    fn push(&self, tenant: &str) {
        self.0.lock().unwrap().push(tenant.to_owned());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl IngestSink for Calls {
    fn ingest<'a>(&'a self, tenant: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        self.push(tenant);
        Box::pin(async { Ok(()) })
    }
}

/// Each method records its tenant and answers an empty message.
macro_rules! recorded {
    ($($method:ident($req:ty) -> $resp:ty;)*) => {$(
        fn $method<'a>(&'a self, tenant: &'a str, _: $req) -> Answer<'a, $resp> {
            self.push(tenant);
            Box::pin(async { Ok(Default::default()) })
        }
    )*};
}

impl QueryService for Calls {
    recorded! {
        profile_types(q::ProfileTypesRequest) -> q::ProfileTypesResponse;
        label_names(t::LabelNamesRequest) -> t::LabelNamesResponse;
        label_values(t::LabelValuesRequest) -> t::LabelValuesResponse;
        series(q::SeriesRequest) -> q::SeriesResponse;
        select_merge_stacktraces(q::SelectMergeStacktracesRequest) -> q::SelectMergeStacktracesResponse;
        select_merge_span_profile(q::SelectMergeSpanProfileRequest) -> q::SelectMergeSpanProfileResponse;
        select_merge_profile(q::SelectMergeProfileRequest) -> kiln_model::pb::google::v1::Profile;
        select_series(q::SelectSeriesRequest) -> q::SelectSeriesResponse;
        select_heatmap(q::SelectHeatmapRequest) -> q::SelectHeatmapResponse;
        diff(q::DiffRequest) -> q::DiffResponse;
        get_profile_stats(t::GetProfileStatsRequest) -> t::GetProfileStatsResponse;
        analyze_query(q::AnalyzeQueryRequest) -> q::AnalyzeQueryResponse;
    }
}

/// Adhoc files by tenant.
#[derive(Default)]
pub struct Files(pub Mutex<BTreeMap<String, Vec<AdhocFile>>>);

impl AdhocStore for Files {
    fn list<'a>(&'a self, tenant: &'a str) -> Answer<'a, Vec<AdhocFile>> {
        let files = self.0.lock().unwrap().get(tenant).cloned().unwrap_or_default();
        Box::pin(async { Ok(files) })
    }
    fn read<'a>(&'a self, _: &'a str, id: &'a str) -> Answer<'a, (AdhocFile, Vec<u8>)> {
        let e = ApiError::new(ApiErrorKind::NotFound, "adhoc_id", format!("{id} not found"));
        Box::pin(async { Err(e) })
    }
    fn save<'a>(&'a self, tenant: &'a str, stem: &'a str, ext: &'a str, _: Vec<u8>) -> Answer<'a, AdhocFile> {
        let file = AdhocFile { id: format!("{stem}.{ext}"), name: stem.into(), uploaded_at_ms: 0 };
        self.0.lock().unwrap().entry(tenant.into()).or_default().push(file.clone());
        Box::pin(async { Ok(file) })
    }
}

pub struct App {
    pub router: axum::Router,
    pub ingested: Arc<Calls>,
    pub queried: Arc<Calls>,
    pub files: Arc<Files>,
}

/// The router with auth on and `/metrics` public or not.
pub fn app(metrics_public: bool) -> App {
    let (ingested, queried, files) = (Arc::new(Calls::default()), Arc::new(Calls::default()), Arc::default());
    let mut state = ApiState::new(ingested.clone());
    state.query = Some(queried.clone());
    state.adhoc = Some(Arc::clone(&files) as Arc<Files>);
    state.limits.reject_older_than_nanos = 0;
    state.limits.reject_newer_than_nanos = 0;
    state.auth = Some(Arc::new(authenticator(metrics_public)));
    App { router: router(state), ingested, queried, files }
}

fn authenticator(metrics_public: bool) -> Authenticator {
    let token = |secret: &str, role, tenants: &[&str]| {
        let tenants: Vec<String> = tenants.iter().map(|t| t.to_string()).collect();
        Token::new(secret, &sha256_hex(secret), role, &tenants).unwrap()
    };
    let tokens = vec![
        token(INGEST_A, Role::Ingest, &["a"]),
        token(READ_A, Role::Read, &["a"]),
        token(READ_AB, Role::Read, &["a", "b"]),
        token(ADMIN_ANY, Role::Admin, &["*"]),
    ];
    let user = BasicUser::new(USER.0, &cheap_hash(USER.1), Role::Read, &["a".to_owned()]).unwrap();
    Authenticator::new(tokens, vec![user], metrics_public).unwrap()
}

/// An Argon2id PHC string with cheap parameters: fast in a debug build.
fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(64, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"kiln-test-salt!!").unwrap();
    argon.hash_password(password.as_bytes(), &salt).unwrap().to_string()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A request with an optional `Authorization` and `X-Scope-OrgID`.
pub fn request(
    method: &str,
    uri: &str,
    ct: &str,
    auth: Option<&str>,
    tenant: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri).header("content-type", ct);
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    if let Some(t) = tenant {
        r = r.header("x-scope-orgid", t);
    }
    r.body(Body::from(body)).unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn send(app: &axum::Router, req: Request<Body>) -> Reply {
    let resp = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

impl Reply {
    /// 401 with both challenges, or gRPC's `unauthenticated`.
    pub fn is_unauthenticated(&self) -> bool {
        let challenges = self.headers.get_all("www-authenticate").iter().count() == 2;
        challenges && (self.status == StatusCode::UNAUTHORIZED || self.grpc_status() == Some("16"))
    }

    /// 403, or gRPC's `permission_denied`.
    pub fn is_denied(&self) -> bool {
        self.status == StatusCode::FORBIDDEN || self.grpc_status() == Some("7")
    }

    pub fn grpc_status(&self) -> Option<&str> {
        self.headers.get("grpc-status").and_then(|v| v.to_str().ok())
    }
}
