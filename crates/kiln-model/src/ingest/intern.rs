//! Adds strings to an already built profile's string table without
//! duplicating the ones it holds.

use rustc_hash::FxHashMap;

use crate::profile::{Profile, StrId};

/// A string-to-id index over a profile's string table, built on first use.
#[derive(Default)]
pub(crate) struct Interner {
    ids: Option<FxHashMap<String, StrId>>,
}

impl Interner {
    /// The id of `s` in `profile.strings`, appending it when absent.
    pub(crate) fn intern(&mut self, profile: &mut Profile, s: &str) -> StrId {
        let ids = self.ids.get_or_insert_with(|| {
            let mut m = FxHashMap::default();
            for (i, t) in profile.strings.iter().enumerate().rev() {
                m.insert(t.clone(), i as StrId);
            }
            m
        });
        if let Some(&id) = ids.get(s) {
            return id;
        }
        let id = profile.strings.len() as StrId;
        profile.strings.push(s.to_owned());
        ids.insert(s.to_owned(), id);
        id
    }
}
