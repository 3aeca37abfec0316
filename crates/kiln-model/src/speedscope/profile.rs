//! One entry of a speedscope file's `profiles`: a `"sampled"` profile
//! (`samples` stacks root first with parallel `weights`) or an `"evented"`
//! one (see [`super::events`]).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::events::EventsSeed;
use super::file::{ParsedProfile, Trie, Unit, ROOT};

/// Reads one profile object into `(stack node, value)` pairs.
pub(super) struct ProfileSeed<'t> {
    pub trie: &'t mut Trie,
    pub frame_count: Option<usize>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ProfileKey {
    Type,
    Unit,
    Samples,
    Weights,
    Events,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for ProfileSeed<'_> {
    type Value = ParsedProfile;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ParsedProfile, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ProfileSeed<'_> {
    type Value = ParsedProfile;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a speedscope profile object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParsedProfile, A::Error> {
        let (mut ty, mut unit, mut samples, mut weights, mut events) = (None, None, None, None, None);
        while let Some(key) = map.next_key::<ProfileKey>()? {
            match key {
                ProfileKey::Type => ty = Some(map.next_value::<String>()?),
                ProfileKey::Unit => unit = Some(Unit::parse(&map.next_value::<String>()?)?),
                ProfileKey::Samples => {
                    samples =
                        Some(map.next_value_seed(SamplesSeed { trie: &mut *self.trie, frames: self.frame_count })?)
                }
                ProfileKey::Weights => weights = Some(map.next_value_seed(SeqOf(PhantomData::<Weight>))?),
                ProfileKey::Events => {
                    events = Some(map.next_value_seed(EventsSeed { trie: &mut *self.trie, frames: self.frame_count })?)
                }
                ProfileKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let unit = unit.ok_or_else(|| de::Error::missing_field("unit"))?;
        let pairs = stack_weights(ty.as_deref(), samples, weights, events)?;
        let mut values = Vec::with_capacity(pairs.len());
        for (node, weight) in pairs {
            let value = convert(weight, unit)?;
            if node != ROOT && value != 0 {
                values.push((node, value));
            }
        }
        Ok(ParsedProfile { unit, values })
    }
}

/// The `(stack node, weight)` pairs of a profile of type `ty`, from the
/// fields that type needs.
fn stack_weights<E: de::Error>(
    ty: Option<&str>,
    samples: Option<Vec<u32>>,
    weights: Option<Vec<Weight>>,
    events: Option<Vec<(u32, Weight)>>,
) -> Result<Vec<(u32, Weight)>, E> {
    match ty {
        Some("sampled") => {
            let samples = samples.ok_or_else(|| E::missing_field("samples"))?;
            let weights = weights.ok_or_else(|| E::missing_field("weights"))?;
            if samples.len() != weights.len() {
                return Err(E::custom(format!("{} samples but {} weights", samples.len(), weights.len())));
            }
            Ok(samples.into_iter().zip(weights).collect())
        }
        Some("evented") => events.ok_or_else(|| E::missing_field("events")),
        Some(other) => Err(E::custom(format!("unknown profile type {other:?}"))),
        None => Err(E::missing_field("type")),
    }
}

/// A weight in the profile's unit: finite and not negative. Integers stay
/// exact. Checked by the number's own visitor, so serde_json reports the
/// error at the number.
#[derive(Clone, Copy)]
pub(super) enum Weight {
    Int(u64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Weight, D::Error> {
        d.deserialize_f64(WeightVisitor)
    }
}

struct WeightVisitor;

impl Visitor<'_> for WeightVisitor {
    type Value = Weight;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a weight")
    }

    fn visit_f64<E: de::Error>(self, w: f64) -> Result<Weight, E> {
        if w.is_finite() && w >= 0.0 {
            Ok(Weight::Float(w))
        } else {
            Err(E::custom(format!("weight {w} is negative or not finite")))
        }
    }

    fn visit_u64<E: de::Error>(self, w: u64) -> Result<Weight, E> {
        Ok(Weight::Int(w))
    }

    fn visit_i64<E: de::Error>(self, w: i64) -> Result<Weight, E> {
        match u64::try_from(w) {
            Ok(w) => Ok(Weight::Int(w)),
            Err(_) => Err(E::custom(format!("weight {w} is negative"))),
        }
    }
}

/// A frame index, checked against the frame table when its size is known.
#[derive(Clone, Copy)]
struct FrameIndex(Option<usize>);

impl<'de> DeserializeSeed<'de> for FrameIndex {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_u64(self)
    }
}

impl Visitor<'_> for FrameIndex {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a frame index")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<u64, E> {
        check_frame(index, self.0)
    }
}

/// An array read element by element without trusting its size hint.
struct SeqOf<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for SeqOf<T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for SeqOf<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(out)
    }
}

/// Converts a weight in `unit` to the sample type's unit, refusing values
/// that do not fit an `i64`.
fn convert<E: de::Error>(weight: Weight, unit: Unit) -> Result<i64, E> {
    let scale = unit.scale();
    let value = match weight {
        Weight::Int(w) => w.checked_mul(scale).and_then(|v| i64::try_from(v).ok()),
        Weight::Float(w) => {
            let v = (w * scale as f64).round();
            // 2^63: the first value past i64::MAX.
            (0.0..9_223_372_036_854_775_808.0).contains(&v).then_some(v as i64)
        }
    };
    value.ok_or_else(|| E::custom(format!("weight {} is out of range", weight.as_f64())))
}

impl Weight {
    fn as_f64(self) -> f64 {
        match self {
            Weight::Int(w) => w as f64,
            Weight::Float(w) => w,
        }
    }
}

/// Checks a frame index against the frame table when its size is known.
pub(super) fn check_frame<E: de::Error>(index: u64, frames: Option<usize>) -> Result<u64, E> {
    match frames {
        Some(n) if index >= n as u64 => Err(E::custom(format!("frame index {index} is out of range ({n} frames)"))),
        _ => Ok(index),
    }
}

/// `samples`: an array of stacks, each an array of frame indices root
/// first, read as trie nodes.
struct SamplesSeed<'t> {
    trie: &'t mut Trie,
    frames: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_> {
    type Value = Vec<u32>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u32>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_> {
    type Value = Vec<u32>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of stacks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u32>, A::Error> {
        let mut out = Vec::new();
        while let Some(node) = seq.next_element_seed(StackSeed { trie: &mut *self.trie, frames: self.frames })? {
            out.push(node);
        }
        Ok(out)
    }
}

/// One stack of `samples`, read as its trie node.
struct StackSeed<'t> {
    trie: &'t mut Trie,
    frames: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for StackSeed<'_> {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for StackSeed<'_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of frame indices")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mut node = ROOT;
        while let Some(index) = seq.next_element_seed(FrameIndex(self.frames))? {
            node = self.trie.child(node, index)?;
        }
        Ok(node)
    }
}
