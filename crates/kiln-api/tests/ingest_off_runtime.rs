//! An upload is decoded on the blocking pool, not on the async runtime:
//! with the only blocking thread held, `POST /ingest` stays pending while
//! `/ready` is answered on the same single-threaded runtime, and the
//! profile reaches the sink once the blocking thread is free. Nothing here
//! depends on timing: the runtime is polled a fixed number of times.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures::future::BoxFuture;
use kiln_api::{router, ApiState, IngestSink, Ingested, SinkError};
use tower::ServiceExt;

/// Keeps the total of every profile it is given.
#[derive(Default)]
struct Totals(Mutex<Vec<i64>>);

impl IngestSink for Totals {
    fn ingest<'a>(&'a self, _: &'a str, profiles: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        let totals = profiles.iter().flat_map(|p| p.profile.totals());
        self.0.lock().unwrap().extend(totals);
        Box::pin(async { Ok(()) })
    }
}

#[test]
fn ready_answers_while_an_upload_is_decoded() {
    let runtime = tokio::runtime::Builder::new_current_thread().max_blocking_threads(1).enable_all().build().unwrap();
    runtime.block_on(async {
        let sink = Arc::new(Totals::default());
        let app = router(ApiState::new(sink.clone()));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = tokio::task::spawn_blocking(move || held.recv());
        let upload = Request::post("/ingest?name=app.cpu&sampleRate=100")
            .body(Body::from("main;work 3\nmain;idle 1\n"))
            .unwrap();
        let ingest = tokio::spawn(app.clone().oneshot(upload));
        for _ in 0..1_000 {
            tokio::task::yield_now().await;
        }
        assert!(!ingest.is_finished(), "the upload was decoded without the blocking pool");
        let ready = app.oneshot(Request::get("/ready").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        release.send(()).unwrap();
        assert_eq!(ingest.await.unwrap().unwrap().status(), StatusCode::OK);
        assert_eq!(sink.0.lock().unwrap().iter().sum::<i64>(), 4 * 10_000_000, "4 samples of 10 ms");
        holder.await.unwrap().unwrap();
    });
}
