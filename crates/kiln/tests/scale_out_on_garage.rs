//! Issue #14's proof: Kiln scaled out over a real 3-node Garage cluster
//! (replication factor 3), every part a real process on loopback: two
//! ingesters, a querier and two compactors sharing one bucket. Each
//! ingester is fed through a tee that mirrors every request it
//! acknowledged to a single-node `kiln server` on local disk, the
//! reference: the querier's answers must equal the reference's.

mod cluster_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cluster_support::client::{folded_profile, post_folded, query_folded, run_python_sdk, CPU};
use cluster_support::kiln_process::KilnProcess;
use cluster_support::tee::Tee;
use cluster_support::KilnCluster;

/// How long a querier may take to see an acknowledged profile (#14).
const VISIBILITY: Duration = Duration::from_secs(15);

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// One query, asked of the querier and of the reference.
struct Query {
    selector: &'static str,
    profile_type: &'static str,
    from: u64,
    to: u64,
}

impl Query {
    fn ask(&self, server: &KilnProcess) -> BTreeMap<String, i64> {
        query_folded(&server.url(), self.selector, self.profile_type, self.from, self.to)
    }
}

/// Polls until the querier answers every query as the reference does
/// (bounded by `limit`); panics with both answers and the logs if not.
fn assert_querier_matches_reference(
    querier: &KilnProcess,
    reference: &KilnProcess,
    queries: &[Query],
    limit: Duration,
    logs: &[&KilnProcess],
) {
    let start = Instant::now();
    for q in queries {
        let expected = q.ask(reference);
        assert!(!expected.is_empty(), "the reference holds nothing for {}", q.selector);
        loop {
            let got = q.ask(querier);
            if got == expected {
                break;
            }
            if start.elapsed() > limit {
                let logs: Vec<String> = logs.iter().map(|p| format!("--- {} ---\n{}", p.name, p.log_text())).collect();
                panic!(
                    "{} ({}): after {:?} the querier answers\n{got:?}\nthe reference\n{expected:?}\n{}",
                    q.selector,
                    q.profile_type,
                    start.elapsed(),
                    logs.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Posts `n` distinct folded profiles of `service`, 10 s apart from
/// `from`, alternating between the tees; returns how many were
/// acknowledged.
fn post_alternating(tees: &[&Tee], service: &str, from: u64, range: std::ops::Range<u64>) -> usize {
    let mut acknowledged = 0;
    for i in range {
        let tee = tees[i as usize % tees.len()];
        if post_folded(tee.addr, service, from + i * 10, &folded_profile(i)) == 200 {
            acknowledged += 1;
        }
    }
    acknowledged
}

fn assert_mirrored(tees: &[&Tee]) {
    for tee in tees {
        let refused = tee.disagreements.lock().unwrap();
        assert!(refused.is_empty(), "acknowledged by an ingester, refused by the reference: {refused:?}");
    }
}

#[test]
fn sdk_and_folded_uploads_through_two_ingesters_query_like_a_single_node() {
    let cluster = KilnCluster::start();
    let (a, b) = (cluster.node("ingester-a", "ingester", 0), cluster.node("ingester-b", "ingester", 1));
    let querier = cluster.node("querier", "querier", 0);
    let reference = cluster.reference();
    let (tee_a, tee_b) = (Tee::start(a.addr, reference.addr), Tee::start(b.addr, reference.addr));
    let from = now() - 1_200;

    // Pyroscope's Python SDK through each ingester at once, folded uploads
    // alternating between them meanwhile.
    let started = now();
    std::thread::scope(|s| {
        s.spawn(|| run_python_sdk(&tee_a.url(), 3));
        s.spawn(|| run_python_sdk(&tee_b.url(), 3));
        assert_eq!(post_alternating(&[&tee_a, &tee_b], "folded-svc", from, 0..40), 40);
    });
    assert_mirrored(&[&tee_a, &tee_b]);
    assert!(tee_a.acknowledged.load(Ordering::SeqCst) > 20 && tee_b.acknowledged.load(Ordering::SeqCst) > 20);

    let queries = [
        Query { selector: r#"{service_name="folded-svc"}"#, profile_type: CPU, from, to: now() + 60 },
        Query {
            selector: r#"{service_name="kiln-sdk-python"}"#,
            profile_type: CPU,
            from: started - 60,
            to: now() + 60,
        },
        Query {
            selector: r#"{service_name="kiln-sdk-python", sdk="python"}"#,
            profile_type: CPU,
            from,
            to: now() + 60,
        },
    ];
    assert_querier_matches_reference(&querier, &reference, &queries, VISIBILITY, &[&a, &b, &querier]);
}

/// Posts uploads `range` through the tees from a thread while `during`
/// runs once `at` of them were sent; returns how many were acknowledged.
fn post_while(
    tees: &[&Tee],
    service: &str,
    from: u64,
    range: std::ops::Range<u64>,
    at: u64,
    during: impl FnOnce(),
) -> usize {
    let sent = AtomicU64::new(0);
    std::thread::scope(|s| {
        let poster = s.spawn(|| {
            let mut acknowledged = 0;
            for i in range.clone() {
                acknowledged += post_alternating(tees, service, from, i..i + 1);
                sent.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
            acknowledged
        });
        while sent.load(Ordering::SeqCst) < at {
            std::thread::sleep(Duration::from_millis(5));
        }
        during();
        poster.join().unwrap()
    })
}

#[test]
fn a_garage_node_sigkilled_during_ingest_loses_no_acknowledged_profile() {
    let mut cluster = KilnCluster::start();
    let (a, b) = (cluster.node("ingester-a", "ingester", 0), cluster.node("ingester-b", "ingester", 1));
    let querier = cluster.node("querier", "querier", 0);
    let reference = cluster.reference();
    let (tee_a, tee_b) = (Tee::start(a.addr, reference.addr), Tee::start(b.addr, reference.addr));
    let from = now() - 1_200;

    // Node 2 holds a replica of everything; no Kiln process talks to it.
    // Two of three replicas are a write quorum: ingest goes on.
    let garage = &mut cluster.garage;
    let acknowledged = post_while(&[&tee_a, &tee_b], "during-kill", from, 0..60, 20, || garage.kill_node(2).unwrap());
    assert!(!cluster.garage.is_running(2));
    assert_mirrored(&[&tee_a, &tee_b]);
    assert_eq!(acknowledged, 60, "every upload acknowledged, before, during and after the kill");

    let queries = [Query { selector: r#"{service_name="during-kill"}"#, profile_type: CPU, from, to: now() }];
    assert_querier_matches_reference(&querier, &reference, &queries, VISIBILITY, &[&a, &b, &querier]);
}

#[test]
fn an_ingester_sigkilled_loses_nothing_it_acknowledged_and_the_other_keeps_accepting() {
    let cluster = KilnCluster::start();
    let (mut a, b) = (cluster.node("ingester-a", "ingester", 0), cluster.node("ingester-b", "ingester", 1));
    let querier = cluster.node("querier", "querier", 1);
    let reference = cluster.reference();
    let (tee_a, tee_b) = (Tee::start(a.addr, reference.addr), Tee::start(b.addr, reference.addr));
    let from = now() - 1_200;

    // Killed mid-stream: what it acknowledged reached the reference, what
    // it was still handling did not (and got no 200).
    let acknowledged = post_while(&[&tee_a, &tee_b], "ingester-kill", from, 0..40, 15, || a.kill());
    assert!(acknowledged >= 20 + 7, "{acknowledged} of 40 acknowledged");
    // Every upload to the dead one now fails, every one to the survivor is
    // acknowledged.
    let to_dead = post_alternating(&[&tee_a], "ingester-kill", from, 40..45);
    let to_survivor = post_alternating(&[&tee_b], "ingester-kill", from, 45..65);
    assert_eq!((to_dead, to_survivor), (0, 20));
    assert_mirrored(&[&tee_a, &tee_b]);

    let queries = [Query { selector: r#"{service_name="ingester-kill"}"#, profile_type: CPU, from, to: now() }];
    assert_querier_matches_reference(&querier, &reference, &queries, VISIBILITY, &[&b, &querier]);
}

/// Polls `done` every half second for at most `limit`, checking after
/// each poll that the querier still answers exactly like the reference.
fn wait_checking<T>(
    limit: Duration,
    what: &str,
    check: &dyn Fn(),
    mut done: impl FnMut() -> Option<T>,
) -> (T, Duration) {
    let start = Instant::now();
    loop {
        check();
        if let Some(t) = done() {
            return (t, start.elapsed());
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn two_compactors_compact_once_and_the_other_takes_over_when_the_lease_holder_dies() {
    let cluster = KilnCluster::start();
    let (a, b) = (cluster.node("ingester-a", "ingester", 0), cluster.node("ingester-b", "ingester", 1));
    let querier = cluster.node("querier", "querier", 2);
    let reference = cluster.reference();
    let (tee_a, tee_b) = (Tee::start(a.addr, reference.addr), Tee::start(b.addr, reference.addr));
    let bucket = cluster.bucket();
    // Hours-old windows: closed, so compaction takes them at once.
    let old = now() - 5 * 3_600;
    assert_eq!(post_alternating(&[&tee_a, &tee_b], "compacted", old, 0..40), 40);
    assert_mirrored(&[&tee_a, &tee_b]);
    let query = |from| [Query { selector: r#"{service_name="compacted"}"#, profile_type: CPU, from, to: now() }];
    assert_querier_matches_reference(&querier, &reference, &query(old - 60), VISIBILITY, &[&a, &b, &querier]);
    let check = || {
        for q in query(old - 60) {
            assert_eq!(q.ask(&querier), q.ask(&reference), "the querier during compaction");
        }
    };

    let mut compactors = [cluster.node("compactor-1", "compactor", 0), cluster.node("compactor-2", "compactor", 1)];
    let by = |i: usize| bucket.blocks_by(&format!("compactor-{}", i + 1));
    // One of them claims the lease and compacts; the other writes nothing.
    let (holder, took) =
        wait_checking(Duration::from_secs(90), "a first compaction", &check, || (0..2).find(|&i| !by(i).is_empty()));
    eprintln!("compactor-{} compacted first, {took:?} after the compactors started", holder + 1);
    let other = 1 - holder;
    let lease = bucket.lease_holder().unwrap_or_default();
    assert!(lease.contains(&compactors[holder].name), "the lease names {lease:?}");
    // Sources are deleted after the delete delay; the querier never
    // double counts a compacted block and its sources meanwhile.
    let ingested = |bucket: &cluster_support::bucket::Bucket| {
        bucket.blocks().into_iter().filter(|p| p.contains("ingester-")).count()
    };
    wait_checking(Duration::from_secs(90), "sources of the compaction deleted", &check, || {
        (ingested(&bucket) == 0).then_some(())
    });
    assert!(by(other).is_empty(), "compactor-{} compacted too: {:?}", other + 1, by(other));

    // The lease holder dies; new data lands in another closed window.
    compactors[holder].kill();
    let killed = Instant::now();
    let older = old - 3 * 3_600;
    assert_eq!(post_alternating(&[&tee_a, &tee_b], "compacted", older, 0..20), 20);
    assert_mirrored(&[&tee_a, &tee_b]);
    let query_all = query(older - 60);
    assert_querier_matches_reference(&querier, &reference, &query_all, VISIBILITY, &[&a, &b, &querier]);
    let check_all = || {
        for q in query(older - 60) {
            assert_eq!(q.ask(&querier), q.ask(&reference), "the querier after the holder died");
        }
    };
    wait_checking(Duration::from_secs(100), "the other compactor taking over", &check_all, || {
        (!by(other).is_empty()).then_some(())
    });
    let takeover = killed.elapsed();
    eprintln!("compactor-{} compacted {takeover:?} after compactor-{} died", other + 1, holder + 1);
    assert!(takeover < Duration::from_secs(75), "took over {takeover:?} after the holder died");
    let lease = bucket.lease_holder().unwrap_or_default();
    assert!(lease.contains(&compactors[other].name), "the lease names {lease:?}");
    check_all();
}
