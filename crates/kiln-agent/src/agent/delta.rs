//! Per-interval values from cumulative profiles. Go's `allocs`, `mutex`
//! and `block` profiles (and `heap`'s `alloc_*` types) count from the
//! program's start; [`DeltaState`] keeps the previous scrape's values per
//! stack and turns each new scrape into what happened since. The first
//! scrape of a target only primes the state. A value lower than before
//! means the program restarted: the new value is what it counted since.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use kiln_model::{Profile, Sample};

/// The previous scrape's cumulative values, by stack and sample labels.
#[derive(Debug, Default)]
pub struct DeltaState {
    previous: Option<HashMap<u64, Vec<i64>>>,
    previous_time_nanos: i64,
}

impl DeltaState {
    /// `profile` with its `cumulative` columns (one flag per sample type)
    /// made per interval; `None` for the first scrape, which primes the
    /// state. Samples whose stack repeats are summed first; samples left
    /// with no positive value are dropped.
    pub fn apply(&mut self, mut profile: Profile, cumulative: &[bool]) -> Option<Profile> {
        let keys = location_keys(&profile);
        let mut index: HashMap<u64, usize> = HashMap::with_capacity(profile.samples.len());
        let mut samples: Vec<(u64, Sample)> = Vec::with_capacity(profile.samples.len());
        for sample in std::mem::take(&mut profile.samples) {
            let key = sample_key(&profile, &keys, &sample);
            match index.get(&key) {
                Some(&i) => {
                    for (a, b) in samples[i].1.values.iter_mut().zip(&sample.values) {
                        *a = a.saturating_add(*b);
                    }
                }
                None => {
                    index.insert(key, samples.len());
                    samples.push((key, sample));
                }
            }
        }
        let now: HashMap<u64, Vec<i64>> = samples.iter().map(|(k, s)| (*k, s.values.clone())).collect();
        let previous = self.previous.replace(now);
        let previous_time = std::mem::replace(&mut self.previous_time_nanos, profile.time_nanos);
        let previous = previous?;
        for (key, sample) in &mut samples {
            let before = previous.get(key);
            for (i, value) in sample.values.iter_mut().enumerate() {
                if !cumulative.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let was = before.and_then(|b| b.get(i)).copied().unwrap_or(0);
                if *value >= was {
                    *value -= was;
                }
            }
        }
        profile.samples = samples.into_iter().map(|(_, s)| s).filter(|s| s.values.iter().any(|&v| v > 0)).collect();
        if previous_time > 0 && profile.time_nanos > previous_time {
            profile.duration_nanos = profile.time_nanos - previous_time;
        }
        Some(profile)
    }
}

/// A hash per location of its address and frames (names and lines), the
/// same across scrapes even though the location ids are not.
fn location_keys(profile: &Profile) -> Vec<u64> {
    profile
        .locations
        .iter()
        .map(|location| {
            let mut h = DefaultHasher::new();
            location.address.hash(&mut h);
            for line in &location.lines {
                let function = &profile.functions[line.function as usize];
                profile.str(function.name).hash(&mut h);
                profile.str(function.filename).hash(&mut h);
                line.line.hash(&mut h);
            }
            h.finish()
        })
        .collect()
}

/// A sample's identity: its stack and its labels, by content.
fn sample_key(profile: &Profile, location_keys: &[u64], sample: &Sample) -> u64 {
    let mut h = DefaultHasher::new();
    for &location in &sample.locations {
        location_keys[location as usize].hash(&mut h);
    }
    let mut labels: Vec<(&str, &str, i64)> =
        sample.labels.iter().map(|l| (profile.str(l.key), profile.str(l.str), l.num)).collect();
    labels.sort_unstable();
    labels.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_model::ProfileBuilder;

    /// A profile of `alloc_space` (cumulative) and `inuse_space` (gauge)
    /// over stacks given as `(frames, [alloc, inuse])`, at `time_s`.
    fn heap(time_s: i64, stacks: &[(&[&str], [i64; 2])]) -> Profile {
        let mut b = ProfileBuilder::new(&[("alloc_space", "bytes"), ("inuse_space", "bytes")], ("space", "bytes"), 1);
        for (frames, values) in stacks {
            b.add_stack(frames, values);
        }
        let mut p = b.build();
        p.time_nanos = time_s * 1_000_000_000;
        p
    }

    fn values(p: &Profile) -> Vec<(String, Vec<i64>)> {
        let mut out: Vec<(String, Vec<i64>)> = p
            .samples
            .iter()
            .map(|s| {
                let mut names = Vec::new();
                p.for_each_frame_root_first(s, |name| names.push(name.to_owned()));
                (names.join(";"), s.values.clone())
            })
            .collect();
        out.sort();
        out
    }

    const CUMULATIVE: [bool; 2] = [true, false];

    #[test]
    fn the_first_scrape_primes_and_later_ones_give_what_happened_in_between() {
        let mut state = DeltaState::default();
        assert!(state.apply(heap(10, &[(&["main", "a"], [100, 7])]), &CUMULATIVE).is_none());
        let second = heap(25, &[(&["main", "a"], [160, 9]), (&["main", "b"], [40, 0])]);
        let delta = state.apply(second, &CUMULATIVE).unwrap();
        assert_eq!(values(&delta), [("main;a".to_owned(), vec![60, 9]), ("main;b".to_owned(), vec![40, 0])]);
        assert_eq!(delta.duration_nanos, 15_000_000_000);
        // Nothing new on `b`, nothing in use: the sample is gone; `a` grew by 5.
        let third = state.apply(heap(40, &[(&["main", "a"], [165, 9]), (&["main", "b"], [40, 0])]), &CUMULATIVE);
        assert_eq!(values(&third.unwrap()), [("main;a".to_owned(), vec![5, 9])]);
    }

    #[test]
    fn stacks_are_matched_by_content_not_by_location_ids() {
        let mut state = DeltaState::default();
        state.apply(heap(1, &[(&["main", "a"], [10, 0]), (&["main", "b"], [20, 0])]), &CUMULATIVE);
        // The same stacks listed in the other order get other location ids.
        let swapped = heap(2, &[(&["main", "b"], [26, 0]), (&["main", "a"], [13, 0])]);
        let delta = state.apply(swapped, &CUMULATIVE).unwrap();
        assert_eq!(values(&delta), [("main;a".to_owned(), vec![3, 0]), ("main;b".to_owned(), vec![6, 0])]);
    }

    #[test]
    fn a_counter_lower_than_before_is_a_restart_and_counts_from_zero() {
        let mut state = DeltaState::default();
        state.apply(heap(1, &[(&["main", "a"], [1000, 0])]), &CUMULATIVE);
        let after_restart = state.apply(heap(2, &[(&["main", "a"], [30, 0])]), &CUMULATIVE).unwrap();
        assert_eq!(values(&after_restart), [("main;a".to_owned(), vec![30, 0])]);
    }

    #[test]
    fn repeated_stacks_are_summed_before_the_difference() {
        let mut state = DeltaState::default();
        state.apply(heap(1, &[(&["main", "a"], [10, 1]), (&["main", "a"], [5, 1])]), &CUMULATIVE);
        let delta = state.apply(heap(2, &[(&["main", "a"], [20, 1]), (&["main", "a"], [5, 1])]), &CUMULATIVE);
        assert_eq!(values(&delta.unwrap()), [("main;a".to_owned(), vec![10, 2])]);
    }
}
