//! Every route of the API in one table: its method, path, what a request
//! needs when auth is on ([`Access`]) and its handler. [`crate::router`]
//! is built from this table and only from it, the auth layer reads each
//! route's access from it, and [`routes`] lists it so tests can walk every
//! route.

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};

use crate::auth::{Access, Role};
use crate::state::ApiState;
use crate::{adhoc, connect, health, ingest, query, ui};

/// One route as the table describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// axum's path syntax (`/querier.v1.QuerierService/{method}`).
    pub path: &'static str,
    pub access: Access,
}

const INGEST: Access = Access::Role(Role::Ingest);
const READ: Access = Access::Role(Role::Read);

/// The description of every route, in table order.
pub fn routes() -> Vec<Route> {
    table().into_iter().map(|(route, _)| route).collect()
}

/// Every route and its handler.
pub(crate) fn table() -> Vec<(Route, MethodRouter<ApiState>)> {
    let mut t = vec![
        p("/ingest", INGEST, post(ingest::legacy::ingest)),
        p("/pyroscope/ingest", INGEST, post(ingest::legacy::ingest)),
        p("/push.v1.PusherService/Push", INGEST, post(ingest::push::push)),
        p("/v1development/profiles", INGEST, post(ingest::otlp::export)),
        p(
            "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
            INGEST,
            post(ingest::otlp::export),
        ),
        p("/querier.v1.QuerierService/{method}", READ, post(query::connect::serve)),
        p("/adhocprofiles.v1.AdHocProfileService/{method}", READ, post(adhoc::connect::serve)),
        // Uploading writes, so it has its own route and role.
        p("/adhocprofiles.v1.AdHocProfileService/Upload", INGEST, post(adhoc::connect::serve_upload)),
    ];
    t.extend(connect::UNOFFERED.map(|path| p(path, READ, post(connect::unimplemented))));
    t.extend([
        g("/pyroscope/render", READ, get(query::render::render)),
        g("/pyroscope/render-diff", READ, get(query::render::render_diff)),
        g("/pyroscope/label-values", READ, get(query::render::label_values)),
        g("/render", READ, get(query::v0::render)),
        g("/render-diff", READ, get(query::v0::render_diff)),
        g("/labels", READ, get(query::v0::labels)),
        g("/label-values", READ, get(query::v0::label_values)),
        g("/api/apps", READ, get(query::v0_apps::apps)),
        g("/api/adhoc/v1/profiles", READ, get(adhoc::v0::profiles)),
        g("/api/adhoc/v1/profile/{id}", READ, get(adhoc::v0::profile)),
        g("/api/adhoc/v1/diff/{left}/{right}", READ, get(adhoc::v0::diff)),
        g("/ready", Access::Public, get(health::ready)),
        g("/healthz", Access::Public, get(health::healthz)),
        g("/metrics", Access::Metrics, get(health::metrics)),
    ]);
    // The web UI's page and modules hold no data: signing in happens in the
    // page, whose requests carry the token.
    t.extend(ui::PAGES.iter().map(|path| g(path, Access::Public, get(ui::page))));
    t.push(g("/assets/{*path}", Access::Public, get(ui::asset)));
    t.push(p("/ui/api/report", READ, ui::report_route()));
    t.push(g("/ui/api/session", Access::Signed, get(ui::session)));
    t
}

fn p(path: &'static str, access: Access, handler: MethodRouter<ApiState>) -> (Route, MethodRouter<ApiState>) {
    (Route { method: Method::POST, path, access }, handler)
}

fn g(path: &'static str, access: Access, handler: MethodRouter<ApiState>) -> (Route, MethodRouter<ApiState>) {
    (Route { method: Method::GET, path, access }, handler)
}
