//! Shared by the route tests: a read-only ingest sink, and the shell of a
//! fake query service that records its calls (each test file implements
//! `QueryService` for it with its own canned answers).

#![allow(dead_code)]

use std::sync::Mutex;

use futures::future::BoxFuture;
use kiln_api::pb::types::v1 as t;
use kiln_api::{Answer, IngestSink, Ingested, SinkError, SinkErrorKind};

/// Refuses every write: these tests only query.
pub struct NoIngest;

impl IngestSink for NoIngest {
    fn ingest<'a>(&'a self, _: &'a str, _: Vec<Ingested>) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async { Err(SinkError::new(SinkErrorKind::InvalidArgument, "read-only")) })
    }
}

/// Records each call as `tenant method request`.
#[derive(Default)]
pub struct Fake(Mutex<Vec<String>>);

impl Fake {
    pub fn record(&self, tenant: &str, method: &str, req: &impl std::fmt::Debug) {
        self.0.lock().unwrap().push(format!("{tenant} {method} {req:?}"));
    }

    pub fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// An answer that is ready.
pub fn ok<'a, T: Send + 'a>(v: T) -> Answer<'a, T> {
    Box::pin(async move { Ok(v) })
}

pub fn pair(name: &str, value: &str) -> t::LabelPair {
    t::LabelPair { name: name.into(), value: value.into() }
}
