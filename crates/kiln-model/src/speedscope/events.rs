//! The events of an `"evented"` speedscope profile: `O`pen and `C`lose
//! events over frames; the time between two events weighs the stack open in
//! between.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::file::{Trie, ROOT};
use super::profile::{check_frame, Weight};

#[derive(Deserialize)]
enum EventType {
    O,
    C,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    ty: EventType,
    frame: u64,
    at: f64,
}

/// `events`: read into `(open stack, time until the next event)` pairs.
pub(super) struct EventsSeed<'t> {
    pub trie: &'t mut Trie,
    pub frames: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_> {
    type Value = Vec<(u32, Weight)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_> {
    type Value = Vec<(u32, Weight)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut out, mut open) = (Vec::new(), Vec::<u32>::new());
        let mut last_at: Option<f64> = None;
        while let Some(e) = seq.next_element::<Event>()? {
            let frame = check_frame(e.frame, self.frames)?;
            if !e.at.is_finite() || last_at.is_some_and(|last| e.at < last) {
                return Err(de::Error::custom(format!("event time {} is not finite or goes backwards", e.at)));
            }
            if let (Some(&top), Some(last)) = (open.last(), last_at) {
                out.push((top, Weight::Float(e.at - last)));
            }
            last_at = Some(e.at);
            match e.ty {
                EventType::O => open.push(self.trie.child(open.last().copied().unwrap_or(ROOT), frame)?),
                EventType::C => match open.pop() {
                    Some(top) if self.trie.nodes.get(top as usize).is_some_and(|n| n.1 == frame) => {}
                    _ => return Err(de::Error::custom(format!("closing frame {frame}, which is not the open one"))),
                },
            }
        }
        Ok(out)
    }
}
