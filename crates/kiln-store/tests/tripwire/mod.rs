//! An object store that stops the process's writes at a chosen one: it
//! passes reads through, counts every change (a put, the start and the end
//! of a multipart upload, a delete, a rename), and before the change
//! numbered `trip_at` prints `TRIP <change> <path>` on stdout and waits
//! forever, for the parent to SIGKILL the process there. Every change
//! before it reached the disk; it and every one after did not.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, Result, UploadPart,
};

/// What the process prints before it waits to be killed.
pub const TRIP: &str = "TRIP ";

#[derive(Debug)]
struct Wire {
    inner: LocalFileSystem,
    changes: AtomicU64,
    trip_at: u64,
}

impl Wire {
    async fn change(&self, what: &str, path: &Path) {
        if self.changes.fetch_add(1, Ordering::SeqCst) + 1 == self.trip_at {
            {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{TRIP}{what} {path}").unwrap();
                out.flush().unwrap();
            }
            std::future::pending::<()>().await;
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tripwire(Arc<Wire>);

impl Tripwire {
    /// Stops before the `trip_at`-th change (counted from 1); 0 never stops.
    pub fn new(inner: LocalFileSystem, trip_at: u64) -> Tripwire {
        Tripwire(Arc::new(Wire { inner, changes: AtomicU64::new(0), trip_at }))
    }
}

impl fmt::Display for Tripwire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tripwire({})", self.0.inner)
    }
}

#[async_trait]
impl ObjectStore for Tripwire {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.0.change("put", location).await;
        self.0.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.0.change("multipart-start", location).await;
        let upload = self.0.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(Upload { wire: self.0.clone(), path: location.clone(), upload }))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.0.inner.get_opts(location, options).await
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        let wire = self.0.clone();
        locations
            .and_then(move |path| {
                let wire = wire.clone();
                async move {
                    wire.change("delete", &path).await;
                    wire.inner.delete(&path).await.map(|()| path)
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.0.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.0.change("copy", to).await;
        self.0.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.0.change("rename", from).await;
        self.0.inner.rename_opts(from, to, options).await
    }
}

/// A multipart upload whose completion is a change of its own.
#[derive(Debug)]
struct Upload {
    wire: Arc<Wire>,
    path: Path,
    upload: Box<dyn MultipartUpload>,
}

#[async_trait]
impl MultipartUpload for Upload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        self.upload.put_part(data)
    }

    async fn complete(&mut self) -> Result<PutResult> {
        self.wire.change("multipart-complete", &self.path).await;
        self.upload.complete().await
    }

    async fn abort(&mut self) -> Result<()> {
        self.upload.abort().await
    }
}
