//! Auth per route family and role, with auth on: the right credential
//! passes and the handler works for the credential's tenant; another
//! tenant or role gets 403 (gRPC: `permission_denied`); no credential gets
//! 401 with `WWW-Authenticate` (gRPC: `unauthenticated`).

mod auth_support;

use auth_support::{app, basic, bearer, request, send, ADMIN_ANY, INGEST_A, READ_A, READ_AB, USER};
use axum::http::StatusCode;
use base64::Engine;

const GO_CPU: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/go/cpu.pb.gz");
const OTLP_PB: &[u8] = include_bytes!("../../kiln-model/tests/fixtures/otlp/request.pb");

fn push_json() -> Vec<u8> {
    let raw = base64::engine::general_purpose::STANDARD.encode(GO_CPU);
    let series = serde_json::json!({"labels": [{"name": "__name__", "value": "process_cpu"}, {"name": "service_name", "value": "api"}], "samples": [{"rawProfile": raw}]});
    serde_json::json!({ "series": [series] }).to_string().into_bytes()
}

fn grpc_frame(msg: &[u8]) -> Vec<u8> {
    let mut framed = vec![0];
    framed.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    framed.extend_from_slice(msg);
    framed
}

#[tokio::test]
async fn ingest_push_and_otlp_store_for_the_tokens_tenant_only() {
    let app = app(false);
    let writes = [
        ("/ingest?name=api&format=folded", "text/plain", b"main;work 3\n".to_vec()),
        ("/push.v1.PusherService/Push", "application/json", push_json()),
        ("/v1development/profiles", "application/x-protobuf", OTLP_PB.to_vec()),
    ];
    for (uri, ct, body) in writes {
        let write = |auth: Option<&str>, tenant: Option<&str>| request("POST", uri, ct, auth, tenant, body.clone());
        let r = send(&app.router, write(Some(&bearer(INGEST_A)), None)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert_eq!(app.ingested.take(), ["a"], "{uri}: a one-tenant token's tenant without X-Scope-OrgID");
        assert!(send(&app.router, write(Some(&bearer(INGEST_A)), Some("b"))).await.is_denied(), "{uri}");
        assert!(send(&app.router, write(Some(&bearer(READ_A)), Some("a"))).await.is_denied(), "{uri}");
        let r = send(&app.router, write(None, Some("a"))).await;
        assert!(r.is_unauthenticated() && r.body.contains("unauthenticated"), "{uri}: {}", r.body);
        assert!(app.ingested.take().is_empty(), "{uri}: nothing stored by a refused request");
        // An SDK's Basic auth with the token as its password; an admin for any tenant.
        let r = send(&app.router, write(Some(&basic("ignored", INGEST_A)), None)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert_eq!(send(&app.router, write(Some(&bearer(ADMIN_ANY)), Some("b"))).await.status, StatusCode::OK);
        assert_eq!(app.ingested.take(), ["a", "b"], "{uri}");
    }
}

#[tokio::test]
async fn grpc_push_otlp_and_querier_answer_grpc_status_codes() {
    let app = app(false);
    let calls = [
        ("/push.v1.PusherService/Push", INGEST_A, READ_A),
        ("/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", INGEST_A, READ_A),
        ("/querier.v1.QuerierService/ProfileTypes", READ_A, INGEST_A),
    ];
    for (uri, right, wrong) in calls {
        let call = |auth: Option<&str>, tenant: Option<&str>| {
            request("POST", uri, "application/grpc", auth, tenant, grpc_frame(&[]))
        };
        let r = send(&app.router, call(None, None)).await;
        assert_eq!((r.status, r.grpc_status()), (StatusCode::OK, Some("16")), "{uri}");
        assert!(r.is_unauthenticated(), "{uri}");
        assert_eq!(send(&app.router, call(Some(&bearer(wrong)), None)).await.grpc_status(), Some("7"), "{uri}");
        assert_eq!(send(&app.router, call(Some(&bearer(right)), Some("b"))).await.grpc_status(), Some("7"), "{uri}");
        // Past the check, an empty message is the handler's to judge.
        let r = send(&app.router, call(Some(&bearer(right)), Some("a"))).await;
        assert!(r.status == StatusCode::OK && !matches!(r.grpc_status(), Some("16" | "7")), "{uri}");
    }
    assert_eq!(app.queried.take(), ["a"]);
}

/// Whether the query service was called, and only for `tenant`.
fn only(calls: &[String], tenant: &str) -> bool {
    !calls.is_empty() && calls.iter().all(|t| t == tenant)
}

#[tokio::test]
async fn querier_render_labels_and_apps_read_the_tokens_tenant_only() {
    let app = app(false);
    let reads = [
        ("POST", "/querier.v1.QuerierService/LabelNames", "application/json", b"{}".to_vec()),
        ("GET", "/pyroscope/render?query=process_cpu:cpu:nanoseconds:cpu:nanoseconds{}&from=now-1h", "", vec![]),
        ("GET", "/render?query=api.cpu{}&from=now-1h&format=json", "", vec![]),
        ("GET", "/labels", "", vec![]),
        ("GET", "/api/apps", "", vec![]),
    ];
    for (method, uri, ct, body) in reads {
        let read = |auth: Option<&str>, tenant: Option<&str>| request(method, uri, ct, auth, tenant, body.clone());
        let r = send(&app.router, read(Some(&bearer(READ_A)), None)).await;
        assert!(!r.is_denied() && r.status != StatusCode::UNAUTHORIZED, "{uri}: {} {}", r.status, r.body);
        assert!(only(&app.queried.take(), "a"), "{uri}");
        assert!(send(&app.router, read(Some(&bearer(READ_A)), Some("b"))).await.is_denied(), "{uri}");
        let r = send(&app.router, read(Some(&bearer(READ_AB)), None)).await;
        assert!(r.is_denied() && r.body.contains("X-Scope-OrgID"), "{uri}: a multi-tenant token names one: {}", r.body);
        send(&app.router, read(Some(&bearer(READ_AB)), Some("b"))).await;
        assert!(only(&app.queried.take(), "b"), "{uri}: the tenant it named");
        assert!(send(&app.router, read(Some(&bearer(INGEST_A)), Some("a"))).await.is_denied(), "{uri}");
        assert!(send(&app.router, read(None, None)).await.is_unauthenticated(), "{uri}");
        assert!(app.queried.take().is_empty(), "{uri}: nothing queried by a refused request");
    }
}

#[tokio::test]
async fn adhoc_uploads_need_ingest_and_each_tenant_lists_only_its_own() {
    let app = app(false);
    let upload = serde_json::json!({"name": "run", "profile": "bWFpbjt3b3JrIDMK"}).to_string().into_bytes();
    let call = |method: &str, auth: &str, tenant: &str, body: &[u8]| {
        let uri = format!("/adhocprofiles.v1.AdHocProfileService/{method}");
        request("POST", &uri, "application/json", Some(auth), Some(tenant), body.to_vec())
    };
    assert!(send(&app.router, call("Upload", &bearer(READ_A), "a", &upload)).await.is_denied());
    assert_eq!(send(&app.router, call("Upload", &bearer(INGEST_A), "a", &upload)).await.status, StatusCode::OK);
    let mine = send(&app.router, call("List", &bearer(READ_AB), "a", b"{}")).await;
    assert!(mine.status == StatusCode::OK && mine.body.contains("\"run"), "{}", mine.body);
    let theirs = send(&app.router, call("List", &bearer(READ_AB), "b", b"{}")).await;
    assert_eq!((theirs.status, theirs.body.as_str()), (StatusCode::OK, "{}"));
    let v0 = request("GET", "/api/adhoc/v1/profiles", "", Some(&bearer(READ_A)), Some("b"), vec![]);
    assert!(send(&app.router, v0).await.is_denied());
    assert_eq!(app.files.0.lock().unwrap().keys().collect::<Vec<_>>(), ["a"]);
}

#[tokio::test]
async fn metrics_are_admin_only_unless_public_and_name_tenants_only_to_an_admin() {
    let get = |auth: Option<&str>| request("GET", "/metrics", "", auth, None, vec![]);
    let app = app(false);
    let write = request("POST", "/ingest?name=api", "text/plain", Some(&bearer(INGEST_A)), None, b"f 1\n".to_vec());
    assert_eq!(send(&app.router, write).await.status, StatusCode::OK);
    assert!(send(&app.router, get(None)).await.is_unauthenticated());
    assert!(send(&app.router, get(Some(&bearer(READ_A)))).await.is_denied());
    let admin = send(&app.router, get(Some(&bearer(ADMIN_ANY)))).await;
    assert!(admin.body.contains("kiln_ingested_profiles_total{tenant=\"a\",format=\"folded\"} 1"), "{}", admin.body);
    let public = app_with_one_ingest(true).await;
    let anonymous = send(&public, get(None)).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(anonymous.body.contains("kiln_ingested_profiles_total{format=\"folded\"} 1"), "{}", anonymous.body);
    assert!(!anonymous.body.contains("tenant="), "{}", anonymous.body);
    assert!(send(&public, get(Some(&bearer(ADMIN_ANY)))).await.body.contains("tenant=\"a\""));
    assert!(!send(&public, get(Some(&bearer(READ_A)))).await.body.contains("tenant="));
}

async fn app_with_one_ingest(metrics_public: bool) -> axum::Router {
    let app = app(metrics_public);
    let write = request("POST", "/ingest?name=api", "text/plain", Some(&bearer(INGEST_A)), None, b"f 1\n".to_vec());
    assert_eq!(send(&app.router, write).await.status, StatusCode::OK);
    app.router
}

#[tokio::test]
async fn basic_users_passwords_are_checked_and_bad_headers_say_what_is_wrong() {
    let app = app(false);
    let labels = |auth: &str| request("GET", "/labels", "", Some(auth), None, vec![]);
    assert_eq!(send(&app.router, labels(&basic(USER.0, USER.1))).await.status, StatusCode::OK);
    assert_eq!(app.queried.take(), ["a"]);
    assert!(send(&app.router, labels(&basic(USER.0, "wrong"))).await.is_unauthenticated());
    let r = send(&app.router, labels("Digest abc")).await;
    assert!(r.is_unauthenticated() && r.body.contains("unsupported Authorization scheme"), "{}", r.body);
    let r = send(&app.router, labels("Basic !!!")).await;
    assert!(r.is_unauthenticated() && r.body.contains("base64"), "{}", r.body);
}

#[tokio::test]
async fn the_session_route_names_the_credentials_tenants_to_it_alone() {
    let app = app(false);
    let get = |auth: Option<&str>| request("GET", "/ui/api/session", "", auth, None, vec![]);
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();
    let several = send(&app.router, get(Some(&bearer(READ_AB)))).await;
    assert_eq!(several.status, StatusCode::OK, "{}", several.body);
    assert_eq!(json(&several.body)["tenants"], serde_json::json!(["a", "b"]));
    assert_eq!(json(&several.body)["role"], "read");
    let user = send(&app.router, get(Some(&basic(USER.0, USER.1)))).await;
    assert_eq!(json(&user.body), serde_json::json!({"name": "alice", "role": "read", "tenants": ["a"]}));
    let any = send(&app.router, get(Some(&bearer(ADMIN_ANY)))).await;
    assert_eq!(json(&any.body)["tenants"], serde_json::Value::Null, "an admin of any tenant: no list");
    assert!(send(&app.router, get(None)).await.is_unauthenticated(), "no tenant list without a credential");
    assert!(send(&app.router, get(Some(&bearer("kiln_forged")))).await.is_unauthenticated());
}
