//! One connection, from its first byte to its close: HTTP/1.1 or HTTP/2
//! (h2c or after TLS) as the client speaks, hyper's header-read timeout,
//! each body under its deadline, and a close when the connection is idle
//! too long, gives its place to a newer one, or the server stops.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::body_deadline::BodyDeadline;
use super::registry::{Activity, Admitted};
use crate::config::{enabled, Connections};

/// What every connection is served with.
pub struct Served {
    pub app: Router,
    pub builder: auto::Builder<TokioExecutor>,
    pub body_read: Option<Duration>,
    pub idle: Option<Duration>,
    pub shutdown: CancellationToken,
}

impl Served {
    pub fn new(app: Router, config: &Connections, shutdown: CancellationToken) -> Served {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(enabled(config.header_read_timeout));
        let body_read = enabled(config.body_read_timeout);
        Served { app, builder, body_read, idle: enabled(config.idle_timeout), shutdown }
    }
}

/// Serves `io` until the client closes it, or it is closed for one of the
/// reasons above; its place in the registry is given back at the end.
pub async fn serve<I>(io: I, served: Arc<Served>, admitted: Admitted)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = admitted.activity.clone();
    let service = request_service(served.clone(), activity.clone());
    let conn = served.builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = activity.evicted() => return,
        _ = idle(&activity, served.idle) => {}
        _ = served.shutdown.cancelled() => {}
    }
    // HTTP/1 closes once the response in flight is written; HTTP/2 sends
    // GOAWAY and closes when its open streams are done.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The router, with each request counted in flight until its response is
/// ready and its body under the body deadline.
fn request_service(
    served: Arc<Served>,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Send
       + 'static {
    hyper::service::service_fn(move |req: Request<Incoming>| {
        let in_flight = activity.begin();
        let req = req.map(|body| Body::new(BodyDeadline::new(body, served.body_read)));
        let call = served.app.clone().oneshot(req);
        async move {
            let response = call.await;
            drop(in_flight);
            response
        }
    })
}

/// Resolves when the connection has been idle for the timeout; never when off.
async fn idle(activity: &Activity, timeout: Option<Duration>) {
    match timeout {
        Some(t) => activity.idle_for(t).await,
        None => std::future::pending().await,
    }
}
