//! The compactor lease: one object, `leases/compactor`, naming the store
//! that may run maintenance and until when. Nodes sharing a bucket each
//! run maintenance only while they hold it, so exactly one compacts and
//! deletes at a time, and another takes over once a dead holder's lease
//! expires.
//!
//! Conditional writes (`If-None-Match`, `If-Match`) are not available on
//! every S3-compatible store (Garage 2.x ignores them on PutObject), so the
//! lease relies only on what every store gives: a write is visible to
//! every later read, and of two concurrent writes every reader sees the
//! same last one. A node claims (or renews) by writing its name, waits
//! `settle`, and reads back: it holds the lease only if its own write is
//! still the one there. Of two nodes claiming at once, both read back
//! the same winner. The holder stops trusting its lease half a `ttl`
//! after the claim began (before the expiry it wrote), renews every third
//! of it, and checks before each compaction, so an old holder has stopped
//! before a new one may claim. Expiries are wall-clock times: nodes' clocks
//! must agree within a few seconds (NTP).

use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use crate::error::{ErrorKind, Result};
use crate::store::Store;

/// Where the lease lives, beside `blocks/`.
const LEASE_PATH: &str = "leases/compactor";

/// How the lease is held.
#[derive(Debug, Clone, Copy)]
pub struct LeaseConfig {
    /// A lease not renewed for this long is free to claim.
    pub ttl: Duration,
    /// How long a claim waits before reading back who won.
    pub settle: Duration,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig { ttl: Duration::from_secs(30), settle: Duration::from_secs(1) }
    }
}

/// This store's view of its lease.
#[derive(Debug, Default)]
pub struct LeaseState {
    /// Until when this store may act on the lease; `None` when not held.
    held_until: Option<Instant>,
    /// When the last successful claim began.
    claimed_at: Option<Instant>,
}

/// Now, in Unix nanoseconds, by the system clock: the lease is about real
/// time, whatever clock the store's data follows.
fn wall_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// The lease object's content: the holder and the expiry (Unix nanos).
fn encode(holder: &str, expires_nanos: i64) -> Bytes {
    Bytes::from(format!("{holder}\n{expires_nanos}\n"))
}

fn decode(bytes: &[u8]) -> Option<(String, i64)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    let holder = lines.next()?.to_owned();
    let expires = lines.next()?.trim().parse().ok()?;
    Some((holder, expires))
}

impl Store {
    /// Whether this store may run maintenance now: always without a lease
    /// configured; else it holds the lease, claiming or renewing it when
    /// due (a claim waits `settle`).
    pub(crate) async fn hold_lease(&self) -> Result<bool> {
        let Some(cfg) = self.inner.config.lease else { return Ok(true) };
        {
            let state = self.inner.lease.lock().expect("lease lock");
            let fresh = state.claimed_at.is_some_and(|at| at.elapsed() < cfg.ttl / 3);
            if fresh && state.held_until.is_some_and(|until| Instant::now() < until) {
                return Ok(true);
            }
        }
        let was_held = self.inner.lease.lock().expect("lease lock").held_until.is_some();
        let held = self.claim(cfg).await;
        if !matches!(held, Ok(true)) {
            self.inner.lease.lock().expect("lease lock").held_until = None;
        }
        match (&held, was_held) {
            (Ok(true), false) => tracing::info!("holding the compactor lease as {}", self.inner.writer),
            (Ok(false), true) => tracing::warn!("lost the compactor lease to another node"),
            (Err(e), true) => tracing::warn!("could not renew the compactor lease: {e}"),
            _ => {}
        }
        held
    }

    /// Whether the lease is held now, by this store's own clock; no request.
    pub(crate) fn lease_held(&self) -> bool {
        self.inner.config.lease.is_none()
            || self.inner.lease.lock().expect("lease lock").held_until.is_some_and(|until| Instant::now() < until)
    }

    async fn claim(&self, cfg: LeaseConfig) -> Result<bool> {
        let me = &self.inner.writer;
        if let Some((holder, expires)) = self.read_lease().await? {
            if &holder != me && expires > wall_clock() {
                return Ok(false);
            }
        }
        let started = Instant::now();
        let expires = wall_clock().saturating_add(cfg.ttl.as_nanos() as i64);
        let path = Path::from(LEASE_PATH);
        self.inner.object_store.put(&path, PutPayload::from(encode(me, expires))).await?;
        tokio::time::sleep(cfg.settle).await;
        let won = self.read_lease().await?.is_some_and(|(holder, _)| &holder == me);
        if won {
            let mut state = self.inner.lease.lock().expect("lease lock");
            state.held_until = Some(started + cfg.ttl / 2);
            state.claimed_at = Some(started);
        }
        Ok(won)
    }

    async fn read_lease(&self) -> Result<Option<(String, i64)>> {
        match self.inner.object_store.get(&Path::from(LEASE_PATH)).await {
            Ok(r) => Ok(decode(&r.bytes().await?)),
            Err(e) => {
                let e = crate::Error::from(e);
                if e.kind == ErrorKind::Gone {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Gives the lease up at shutdown, so another node takes over at once
    /// instead of after `ttl`.
    pub(crate) async fn release_lease(&self) {
        if self.inner.config.lease.is_none() || !self.lease_held() {
            return;
        }
        self.inner.lease.lock().expect("lease lock").held_until = None;
        if let Ok(Some((holder, _))) = self.read_lease().await {
            if holder == self.inner.writer {
                let _ = self.inner.object_store.delete(&Path::from(LEASE_PATH)).await;
            }
        }
    }

    /// The name this store holds the lease under, and whether it holds it
    /// now (for operators and tests).
    pub fn lease_holder(&self) -> (String, bool) {
        (self.inner.writer.clone(), self.inner.config.lease.is_some() && self.lease_held())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_content_reads_back() {
        assert_eq!(decode(&encode("node-a-1234", 42)), Some(("node-a-1234".into(), 42)));
        assert_eq!(decode(b"garbage"), None);
    }
}
