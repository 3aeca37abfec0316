//! `deserialize_with` helpers: a duration is text in the grammar of
//! `kiln_model::duration`, parsed once while the configuration is read.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// A duration field (`reject_older_than = "1h"`).
pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_str(DurationText)
}

/// A duration field that may be left unset (`retention_max_age`).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    deserializer.deserialize_option(OptionalDuration)
}

struct DurationText;

impl Visitor<'_> for DurationText {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration such as \"90s\", \"12h\" or \"30d\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        kiln_model::duration::parse(text).map_err(|e| E::custom(e.message))
    }
}

struct OptionalDuration;

impl<'de> Visitor<'de> for OptionalDuration {
    type Value = Option<Duration>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        DurationText.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Duration>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Duration>, D::Error> {
        required(deserializer).map(Some)
    }
}
