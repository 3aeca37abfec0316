//! The in-memory catalog of block objects: what exists, per tenant, with
//! footers. Rebuilt at start by listing the store; objects replaced by
//! another (named in its `sources`) are dropped and deleted.

use std::collections::{BTreeMap, HashSet};

use crate::objects::ObjectInfo;

#[derive(Debug, Default)]
pub struct Catalog {
    /// tenant -> block id -> object
    tenants: BTreeMap<String, BTreeMap<String, ObjectInfo>>,
    /// Level-0 objects (segments not yet compacted), all tenants.
    segments: usize,
}

impl Catalog {
    /// A catalog of listed objects; returns it and the superseded objects,
    /// which the caller deletes.
    pub fn from_listing(objects: Vec<ObjectInfo>) -> (Catalog, Vec<ObjectInfo>) {
        let replaced: HashSet<String> = objects.iter().flat_map(|o| o.meta.sources.iter().cloned()).collect();
        let (stale, live): (Vec<_>, Vec<_>) = objects.into_iter().partition(|o| replaced.contains(&o.meta.id));
        let mut c = Catalog::default();
        for o in live {
            c.insert(o);
        }
        (c, stale)
    }

    pub fn insert(&mut self, o: ObjectInfo) {
        let is_segment = o.meta.level == 0;
        let replaced = self.tenants.entry(o.meta.tenant.clone()).or_default().insert(o.meta.id.clone(), o);
        self.segments += usize::from(is_segment);
        self.segments -= replaced.map_or(0, |r| usize::from(r.meta.level == 0));
    }

    /// How many segments wait for compaction.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// Removes objects by id; returns those that were present.
    pub fn remove(&mut self, tenant: &str, ids: &[String]) -> Vec<ObjectInfo> {
        let Some(t) = self.tenants.get_mut(tenant) else { return Vec::new() };
        let removed: Vec<ObjectInfo> = ids.iter().filter_map(|id| t.remove(id)).collect();
        self.segments -= removed.iter().filter(|o| o.meta.level == 0).count();
        if t.is_empty() {
            self.tenants.remove(tenant);
        }
        removed
    }

    /// Replaces `sources` by `new` in one step.
    pub fn replace(&mut self, tenant: &str, sources: &[String], new: Option<ObjectInfo>) -> Vec<ObjectInfo> {
        let removed = self.remove(tenant, sources);
        if let Some(n) = new {
            self.insert(n);
        }
        removed
    }

    pub fn tenants(&self) -> impl Iterator<Item = &str> {
        self.tenants.keys().map(String::as_str)
    }

    /// A tenant's objects, oldest id first.
    pub fn objects(&self, tenant: &str) -> Vec<ObjectInfo> {
        self.tenants.get(tenant).map(|t| t.values().cloned().collect()).unwrap_or_default()
    }

    /// A tenant's objects whose time range meets `[start, end]`.
    pub fn overlapping(&self, tenant: &str, start: i64, end: i64) -> Vec<ObjectInfo> {
        let Some(t) = self.tenants.get(tenant) else { return Vec::new() };
        t.values().filter(|o| o.meta.min_time_nanos <= end && o.meta.max_time_nanos >= start).cloned().collect()
    }

    /// Drops the objects another object names as its sources (replaced by
    /// a compaction, on any node); returns them.
    pub fn remove_replaced(&mut self) -> Vec<ObjectInfo> {
        let replaced: HashSet<String> = self.all().iter().flat_map(|o| o.meta.sources.iter().cloned()).collect();
        let stale: Vec<ObjectInfo> = self.all().into_iter().filter(|o| replaced.contains(&o.meta.id)).collect();
        for o in &stale {
            self.remove(&o.meta.tenant, std::slice::from_ref(&o.meta.id));
        }
        stale
    }

    /// Every object of every tenant.
    pub fn all(&self) -> Vec<ObjectInfo> {
        self.tenants.values().flat_map(|t| t.values().cloned()).collect()
    }
}
