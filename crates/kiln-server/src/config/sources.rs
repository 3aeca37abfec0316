//! The configuration's sources as one serde map: each key holds the value
//! of the last layer that set it, either a TOML value from the file (typed
//! by TOML) or text from the environment or a flag (read as whatever type
//! the field asks for). Errors name the key they are about.

use std::collections::BTreeMap;

use serde::de::value::{Error, MapDeserializer};
use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// Environment variables of the configuration start with this.
const ENV_PREFIX: &str = "KILN_";

/// The layers gathered so far, later ones replacing earlier ones per key.
#[derive(Default)]
pub struct Layers(BTreeMap<String, Source>);

impl Layers {
    /// The file's keys, as TOML typed them.
    pub fn file(&mut self, text: &str) -> Result<(), toml::de::Error> {
        let table: toml::Table = text.parse()?;
        for (key, value) in table {
            self.0.insert(key.clone(), Source { key, value: Value::Toml(value) });
        }
        Ok(())
    }

    /// The `KILN_*` variables that name one of `keys`; the others are left
    /// to [`unknown_env`].
    pub fn env(&mut self, env: &BTreeMap<String, String>, keys: &[&str]) {
        for (key, text) in env.iter().filter_map(|(name, text)| Some((env_key(name)?, text))) {
            if keys.contains(&key.as_str()) {
                self.insert_text(key, text);
            }
        }
    }

    pub fn flags(&mut self, flags: &BTreeMap<String, String>) {
        for (key, text) in flags {
            self.insert_text(key.clone(), text);
        }
    }

    fn insert_text(&mut self, key: String, text: &str) {
        self.0.insert(key.clone(), Source { key, value: Value::Text(text.to_owned()) });
    }

    /// Moves the values of `keys` into layers of their own, for a struct
    /// deserialized apart from the rest.
    pub fn split_off(&mut self, keys: &[&str]) -> Layers {
        let (taken, kept) = std::mem::take(&mut self.0).into_iter().partition(|(k, _)| keys.contains(&k.as_str()));
        self.0 = kept;
        Layers(taken)
    }

    /// The keys of the file's `[table]` and the flat `table_key` keys of
    /// any layer, as one struct's keys (`key`); a flat key, set by the
    /// environment or a flag, wins over the file's table.
    pub fn nested(self, table: &str) -> Result<Layers, String> {
        let prefix = format!("{table}_");
        let mut out = BTreeMap::new();
        let mut flat = Vec::new();
        for (key, source) in self.0 {
            if key == table {
                let Value::Toml(toml::Value::Table(t)) = source.value else {
                    return Err(format!("{table} must be a table ([{table}])"));
                };
                for (k, v) in t {
                    out.insert(k.clone(), Source { key: format!("{table}.{k}"), value: Value::Toml(v) });
                }
            } else if let Some(k) = key.strip_prefix(&prefix) {
                flat.push((k.to_owned(), source));
            }
        }
        out.extend(flat);
        Ok(Layers(out))
    }

    pub fn deserialize<'de, T: Deserialize<'de>>(self) -> Result<T, Error> {
        T::deserialize(MapDeserializer::new(self.0.into_iter()))
    }
}

/// `retention_max_age` for `KILN_RETENTION_MAX_AGE`.
fn env_key(name: &str) -> Option<String> {
    name.strip_prefix(ENV_PREFIX).map(|k| k.to_ascii_lowercase())
}

/// A warning per `KILN_*` variable that is not one of `keys`.
pub fn unknown_env(env: &BTreeMap<String, String>, keys: &[&str]) -> Vec<String> {
    let unknown = env.keys().filter(|name| env_key(name).is_some_and(|k| !keys.contains(&k.as_str())));
    unknown.map(|name| unknown_env_warning(name, keys)).collect()
}

fn unknown_env_warning(name: &str, keys: &[&str]) -> String {
    let variable = |key: &str| format!("{ENV_PREFIX}{}", key.to_ascii_uppercase());
    let closest = keys.iter().map(|k| (strsim::levenshtein(&variable(k), name), k)).min();
    match closest {
        Some((distance, key)) if distance <= 3 => {
            format!("ignoring environment variable {name}: not a setting; did you mean {}?", variable(key))
        }
        _ => format!("ignoring environment variable {name}: not a setting of kiln server"),
    }
}

/// The field names of a struct deriving `Deserialize`, as serde's derive
/// lists them (no second list of keys to keep in step).
pub fn field_names<T: Deserialize<'static>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        *self.0 = fields;
        Err(de::Error::custom("only the field names were asked for"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("not a struct"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// One key's value and the key, for error messages.
struct Source {
    key: String,
    value: Value,
}

enum Value {
    Toml(toml::Value),
    Text(String),
}

impl IntoDeserializer<'_, Error> for Source {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Forwards to the TOML value's or the text's deserializer and prefixes
/// any error with the key.
macro_rules! by_source {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let result = match self.value {
                Value::Toml(v) => v.$method(visitor).map_err(|e| de::Error::custom(e.message())),
                Value::Text(t) => Text(t).$method(visitor),
            };
            result.map_err(|e: Error| de::Error::custom(format!("{}: {e}", self.key)))
        }
    )*};
}

impl<'de> Deserializer<'de> for Source {
    type Error = Error;

    by_source! { deserialize_any deserialize_option deserialize_bool deserialize_u8 deserialize_u16
    deserialize_u32 deserialize_u64 deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
    deserialize_f64 deserialize_str deserialize_string }

    forward_to_deserialize_any! {
        i128 u128 f32 char bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Integer methods of [`Text`]: parsed at full width, then the visitor
/// checks the range of the type it makes.
macro_rules! numbers {
    ($ty:ident $visit:ident $what:literal => $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n: $ty = self.parse($what)?;
            visitor.$visit(n)
        }
    )*};
}

/// Text from the environment or a flag, read as the type asked for.
struct Text(String);

impl Text {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
        self.0.trim().parse().map_err(|_| de::Error::custom(format!("{:?} is not {what}", self.0)))
    }
}

impl<'de> Deserializer<'de> for Text {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_bool(self.parse("true or false")?)
    }

    numbers! { u64 visit_u64 "a whole number" => deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 }
    numbers! { i64 visit_i64 "a whole number" => deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(self.parse("a number")?)
    }

    forward_to_deserialize_any! {
        i128 u128 f32 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}
