//! Walks every route of the table the router is built from, with auth on:
//! a route added to the table without the right access, or a check that
//! misses one, fails here. Paths not in the table need an admin.

mod auth_support;

use std::task::Poll;

use auth_support::{app, bearer, request, send, Reply, ADMIN_ANY, INGEST_A, READ_A, READ_AB};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_api::auth::{Access, Role};
use kiln_api::routes;

/// A path of the table with every `{param}` filled in.
fn concrete(path: &str) -> String {
    path.split('/').map(|seg| if seg.starts_with('{') { "x" } else { seg }).collect::<Vec<_>>().join("/")
}

/// A token with `role` on tenant `a`, and one without it.
fn tokens_for(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Ingest => (INGEST_A, READ_A),
        Role::Read => (READ_A, INGEST_A),
        Role::Admin => (ADMIN_ANY, READ_A),
    }
}

fn passed(r: &Reply) -> bool {
    !r.is_unauthenticated() && !r.is_denied() && r.status != StatusCode::UNAUTHORIZED
}

#[tokio::test]
async fn every_route_of_the_table_checks_credential_role_and_tenant() {
    let app = app(false);
    let table = routes();
    let public: Vec<&str> = table.iter().filter(|r| r.access == Access::Public).map(|r| r.path).collect();
    let ui = ["/", "/explore", "/tags", "/compare", "/diff", "/adhoc", "/assets/{*path}"];
    assert_eq!(public, [&["/ready", "/healthz"][..], &ui].concat(), "the only routes anyone may call");
    for route in &table {
        let path = concrete(route.path);
        let req = |auth: Option<&str>, tenant: Option<&str>| {
            request(route.method.as_str(), &path, "application/json", auth, tenant, b"{}".to_vec())
        };
        let at = format!("{} {}", route.method, route.path);
        let (right, wrong) = match route.access {
            Access::Public => {
                assert!(passed(&send(&app.router, req(None, None)).await), "{at}");
                continue;
            }
            Access::Signed => {
                assert!(send(&app.router, req(None, None)).await.is_unauthenticated(), "{at} without credentials");
                // Every role, one tenant or several or any, none named.
                for token in [INGEST_A, READ_A, READ_AB, ADMIN_ANY] {
                    let r = send(&app.router, req(Some(&bearer(token)), None)).await;
                    assert!(passed(&r), "{at} with {token}: {} {}", r.status, r.body);
                }
                continue;
            }
            Access::Metrics => tokens_for(Role::Admin),
            Access::Role(role) => tokens_for(role),
        };
        assert!(send(&app.router, req(None, None)).await.is_unauthenticated(), "{at} without credentials");
        let forged = bearer("kiln_not-a-token");
        assert!(send(&app.router, req(Some(&forged), None)).await.is_unauthenticated(), "{at} with a wrong token");
        let r = send(&app.router, req(Some(&bearer(wrong)), Some("a"))).await;
        assert!(r.is_denied(), "{at} with a token of another role: {} {}", r.status, r.body);
        if matches!(route.access, Access::Role(_)) {
            let r = send(&app.router, req(Some(&bearer(right)), Some("b"))).await;
            assert!(r.is_denied(), "{at} for another tenant: {} {}", r.status, r.body);
        }
        let r = send(&app.router, req(Some(&bearer(right)), Some("a"))).await;
        assert!(passed(&r), "{at} with the right token: {} {}", r.status, r.body);
    }
}

#[tokio::test]
async fn a_path_outside_the_table_needs_an_admin_and_ui_assets_are_public() {
    let app = app(false);
    let get = |path: &str, auth: Option<&str>| request("GET", path, "text/plain", auth, None, Vec::new());
    assert!(send(&app.router, get("/not-a-route", None)).await.is_unauthenticated());
    assert!(send(&app.router, get("/not-a-route", Some(&bearer(READ_A)))).await.is_denied());
    assert_eq!(send(&app.router, get("/not-a-route", Some(&bearer(ADMIN_ANY)))).await.status, StatusCode::NOT_FOUND);
    assert_eq!(send(&app.router, get("/assets/app.js", None)).await.status, StatusCode::OK);
    assert_eq!(send(&app.router, get("/assets/no-such.js", None)).await.status, StatusCode::NOT_FOUND);
    // Served by the asset route (no such asset), never by `/metrics`.
    assert_eq!(send(&app.router, get("/assets/../metrics", None)).await.status, StatusCode::NOT_FOUND);
}

/// A refused request's body is never read: an unauthenticated client
/// cannot make the server inflate or decode anything.
#[tokio::test]
async fn a_refused_request_is_answered_before_its_body_is_read() {
    let app = app(false);
    let never = futures::stream::poll_fn(|_| -> Poll<Option<Result<bytes::Bytes, std::io::Error>>> {
        panic!("the body of a refused request was read")
    });
    let body = Body::from_stream(never);
    let req = Request::post("/ingest?name=api").header("content-encoding", "gzip").body(body).unwrap();
    assert!(send(&app.router, req).await.is_unauthenticated());
}
