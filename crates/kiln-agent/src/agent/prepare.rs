//! What is done with a scraped body before it is queued, on the blocking
//! pool: decode the pprof, keep the sample types the profile kind stores,
//! turn cumulative types into per-interval values ([`DeltaState`]) and
//! encode the Push API request with the target's labels.

use kiln_model::Profile;

use super::delta::DeltaState;
use super::profile_kind::ProfileKind;
use crate::error::{Error, Result};
use crate::upstream::encode_push;

/// Largest decoded profile accepted from a target.
const MAX_DECODED: usize = 256 << 20;

/// A scrape ready to queue.
pub struct Prepared {
    /// The encoded `PushRequest`; `None` when the scrape only primed the
    /// delta state or has no sample.
    pub body: Option<Vec<u8>>,
    /// Samples in the scraped profile.
    pub samples: u64,
}

/// How one target's profile of one kind is stored.
pub struct Preparation {
    pub kind: ProfileKind,
    /// Every kind the job scrapes (see [`ProfileKind::keeps`]).
    pub scraped: Vec<ProfileKind>,
    /// The series' labels besides `__name__`, `__delta__="false"` included.
    pub labels: Vec<(String, String)>,
    pub delta: DeltaState,
}

impl Preparation {
    pub fn prepare(&mut self, body: &[u8]) -> Result<Prepared> {
        let decoded = kiln_model::pprof::decode_with_limit(body, MAX_DECODED)
            .map_err(|source| Error::Profile { what: "decoding the scraped profile".into(), source })?;
        let samples = decoded.samples.len() as u64;
        let mut profile = keep_sample_types(decoded, |ty| self.kind.keeps(ty, &self.scraped));
        let cumulative: Vec<bool> =
            profile.sample_types.iter().map(|vt| self.kind.is_cumulative(profile.str(vt.ty))).collect();
        if cumulative.contains(&true) {
            match self.delta.apply(profile, &cumulative) {
                Some(delta) => profile = delta,
                None => return Ok(Prepared { body: None, samples }),
            }
        }
        if profile.samples.is_empty() {
            return Ok(Prepared { body: None, samples });
        }
        Ok(Prepared { body: Some(encode_push(self.kind.metric_name(), &self.labels, &profile)), samples })
    }
}

/// `profile` with only the sample types `keep` accepts (their values with them).
fn keep_sample_types(mut profile: Profile, keep: impl Fn(&str) -> bool) -> Profile {
    let kept: Vec<bool> = profile.sample_types.iter().map(|vt| keep(profile.str(vt.ty))).collect();
    if kept.iter().all(|&k| k) {
        return profile;
    }
    let retain = |values: &mut Vec<i64>| {
        let mut flags = kept.iter();
        values.retain(|_| flags.next().copied().unwrap_or(false));
    };
    let mut types = std::mem::take(&mut profile.sample_types);
    let mut flags = kept.iter();
    types.retain(|_| flags.next().copied().unwrap_or(false));
    profile.sample_types = types;
    for sample in &mut profile.samples {
        retain(&mut sample.values);
    }
    if !profile.sample_types.iter().any(|vt| vt.ty == profile.default_sample_type) {
        profile.default_sample_type = 0;
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_model::ProfileBuilder;

    fn go_heap(alloc_space: i64) -> Vec<u8> {
        let types = [
            ("alloc_objects", "count"),
            ("alloc_space", "bytes"),
            ("inuse_objects", "count"),
            ("inuse_space", "bytes"),
        ];
        let mut b = ProfileBuilder::new(&types, ("space", "bytes"), 524288);
        b.add_stack(&["main", "alloc"], &[1, alloc_space, 1, 64]);
        kiln_model::pprof::encode_gzip(&b.build())
    }

    fn preparation(kind: ProfileKind, scraped: &[ProfileKind]) -> Preparation {
        let labels = vec![("service_name".to_owned(), "app".to_owned())];
        Preparation { kind, scraped: scraped.to_vec(), labels, delta: DeltaState::default() }
    }

    fn pushed_types_and_values(body: &[u8]) -> (Vec<String>, Vec<i64>) {
        use prost::Message;
        let request = kiln_api::pb::push::PushRequest::decode(body).unwrap();
        assert_eq!(request.series[0].labels[0].value, "memory");
        let p = kiln_model::pprof::decode(&request.series[0].samples[0].raw_profile).unwrap();
        (p.sample_types.iter().map(|vt| p.str(vt.ty).to_owned()).collect(), p.samples[0].values.clone())
    }

    #[test]
    fn allocs_keeps_the_allocation_types_as_deltas_after_priming() {
        let mut allocs = preparation(ProfileKind::Allocs, &ProfileKind::defaults());
        let first = allocs.prepare(&go_heap(1000)).unwrap();
        assert!(first.body.is_none() && first.samples == 1, "the first scrape primes");
        let second = allocs.prepare(&go_heap(1600)).unwrap();
        let (types, values) = pushed_types_and_values(&second.body.unwrap());
        assert_eq!(types, ["alloc_objects", "alloc_space"]);
        assert_eq!(values, [0, 600]);
    }

    #[test]
    fn heap_beside_allocs_is_the_in_use_gauge_pushed_from_the_first_scrape() {
        let mut heap = preparation(ProfileKind::Heap, &ProfileKind::defaults());
        let (types, values) = pushed_types_and_values(&heap.prepare(&go_heap(1000)).unwrap().body.unwrap());
        assert_eq!((types, values), (vec!["inuse_objects".to_owned(), "inuse_space".to_owned()], vec![1, 64]));
    }

    #[test]
    fn a_body_that_is_not_a_profile_is_an_error() {
        let mut heap = preparation(ProfileKind::Heap, &[ProfileKind::Heap]);
        assert!(heap.prepare(b"<html>404</html>").is_err());
    }
}
