//! The test's own view of the shared bucket, over S3 as the servers see it:
//! which blocks exist (their ids name the node that wrote them) and who
//! holds the compactor lease.

use std::sync::Arc;

use futures::TryStreamExt;
use kiln_store::remote::{object_store_from_url, RemoteOptions};
use kiln_testkit::GarageCluster;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

impl Bucket {
    pub fn open(garage: &GarageCluster, prefix: &str, node: usize) -> Bucket {
        let credentials = garage.credentials();
        let options = RemoteOptions {
            endpoint: Some(garage.s3_endpoint(node)),
            region: Some(kiln_testkit::REGION.to_owned()),
            path_style: true,
            access_key_id: Some(credentials.access_key_id.clone()),
            secret_access_key: Some(credentials.secret_access_key.clone()),
            ..Default::default()
        };
        let store = object_store_from_url(&format!("s3://{}/{prefix}", garage.bucket()), &options).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Bucket { store, runtime }
    }

    /// Every object under `blocks/`.
    pub fn blocks(&self) -> Vec<String> {
        let listing = self.store.list(Some(&Path::from("blocks")));
        let metas: Vec<_> = self.runtime.block_on(listing.try_collect()).unwrap();
        metas.into_iter().map(|m| m.location.to_string()).collect()
    }

    /// The blocks whose id names `node`.
    pub fn blocks_by(&self, node: &str) -> Vec<String> {
        self.blocks().into_iter().filter(|b| b.rsplit('/').next().unwrap_or(b).contains(node)).collect()
    }

    /// The first line of the compactor lease object (its holder), if any.
    pub fn lease_holder(&self) -> Option<String> {
        let get = async {
            let got = self.store.get(&Path::from("leases/compactor")).await.ok()?;
            got.bytes().await.ok()
        };
        let bytes = self.runtime.block_on(get)?;
        String::from_utf8_lossy(&bytes).lines().next().map(str::to_owned)
    }
}
