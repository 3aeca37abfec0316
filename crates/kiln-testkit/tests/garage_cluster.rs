//! The harness itself: three real `garage server` processes form a cluster
//! with replication factor 3, stay available with one node SIGKILLed, and
//! the killed node comes back.

use std::time::{Duration, Instant};

use kiln_testkit::{http_get, GarageCluster};

const LIMIT: Duration = Duration::from_secs(5);

fn health(cluster: &GarageCluster, i: usize) -> (u16, String) {
    http_get(cluster.admin_addr(i), "/health", LIMIT).unwrap()
}

#[test]
fn three_nodes_start_fully_operational_survive_a_sigkill_and_rejoin() {
    let started = Instant::now();
    let mut cluster = GarageCluster::start(3, 3).unwrap();
    eprintln!("cluster up in {:.1}s", started.elapsed().as_secs_f64());
    for i in 0..3 {
        let (status, body) = health(&cluster, i);
        assert_eq!(status, 200, "node {i}: {body}");
        assert!(body.contains("fully operational"), "node {i}: {body}");
    }
    // The S3 API answers, and refuses an unsigned request for the bucket.
    let s3 = cluster.s3_endpoint(0).trim_start_matches("http://").parse().unwrap();
    let (status, body) = http_get(s3, &format!("/{}/", cluster.bucket()), LIMIT).unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(cluster.s3_requests().unwrap() >= 1, "the S3 request counter counts the request above");

    cluster.kill_node(2).unwrap();
    assert!(!cluster.is_running(2));
    assert!(http_get(cluster.admin_addr(2), "/health", LIMIT).is_err(), "node 2 is gone");
    // Two of three replicas are a quorum: the others stay available.
    for i in 0..2 {
        let (status, body) = health(&cluster, i);
        assert_eq!(status, 200, "node {i} with node 2 dead: {body}");
    }

    cluster.restart_node(2).unwrap();
    for i in 0..3 {
        let (status, body) = health(&cluster, i);
        assert!(status == 200 && body.contains("fully operational"), "node {i} after the restart: {body}");
    }
    let dir = cluster.dir().to_owned();
    drop(cluster);
    assert!(!dir.exists(), "the cluster's files are removed on drop");
}
