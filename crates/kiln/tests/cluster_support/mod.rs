//! A Kiln cluster of real processes over a real Garage cluster, on
//! loopback: ingesters, a querier and compactors sharing one bucket, and a
//! single-node reference server on local disk that tees feed the same
//! requests.

#![allow(dead_code)]

pub mod bucket;
pub mod client;
pub mod kiln_process;
pub mod tee;

use kiln_process::KilnProcess;
use kiln_testkit::GarageCluster;

/// Settings every process of a test shares: profiles stamped hours ago
/// are accepted, so a test can fill windows compaction considers closed.
pub const SHARED_CONFIG: &str = "reject_older_than = \"0\"\n";

pub struct KilnCluster {
    pub garage: GarageCluster,
    pub dir: tempfile::TempDir,
    /// A prefix of the bucket of its own, so nothing else shares it.
    pub prefix: String,
}

impl KilnCluster {
    /// A 3-node Garage cluster (replication factor 3) and a directory for
    /// the Kiln processes' configs, logs and local data.
    pub fn start() -> KilnCluster {
        let garage = GarageCluster::start(3, 3).expect("the Garage cluster starts");
        let dir = tempfile::Builder::new().prefix("kiln-cluster-").tempdir().unwrap();
        KilnCluster { garage, dir, prefix: "kiln-test".to_owned() }
    }

    /// `kiln server --role role --node-id name` over the bucket, talking to
    /// Garage node `garage_node`'s S3 endpoint.
    pub fn node(&self, name: &str, role: &str, garage_node: usize) -> KilnProcess {
        let storage = format!("s3://{}/{}", self.garage.bucket(), self.prefix);
        let endpoint = self.garage.s3_endpoint(garage_node);
        let args = [
            "--role",
            role,
            "--node-id",
            name,
            "--storage",
            &storage,
            "--storage-endpoint",
            &endpoint,
            "--storage-region",
            kiln_testkit::REGION,
            "--storage-path-style",
        ];
        // Catalogs refreshed every second: queriers see new blocks quickly.
        let config = format!("{SHARED_CONFIG}\n[storage]\nallow_http = true\nrefresh_interval = \"1s\"\n");
        KilnProcess::start(self.dir.path(), name, &config, &args, &self.garage.aws_env())
    }

    /// The test's own S3 view of the bucket prefix the Kiln processes share.
    pub fn bucket(&self) -> bucket::Bucket {
        bucket::Bucket::open(&self.garage, &self.prefix, 0)
    }

    /// The single-node reference: `kiln server` on local disk.
    pub fn reference(&self) -> KilnProcess {
        KilnProcess::start(self.dir.path(), "reference", SHARED_CONFIG, &[], &[])
    }
}
