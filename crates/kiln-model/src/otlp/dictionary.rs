//! Checked access to the request-level `ProfilesDictionary`: every index an
//! OTLP message carries is resolved here and refused when out of range.

use crate::pb::otlp as pb;

/// A lookup failure, phrased without its location; callers prefix the path.
pub(super) type Lookup<T> = std::result::Result<T, String>;

/// The request's dictionary.
pub(super) struct Dict<'a>(pub &'a pb::ProfilesDictionary);

fn at<'a, T>(table: &'a [T], index: i32, name: &str) -> Lookup<&'a T> {
    usize::try_from(index)
        .ok()
        .and_then(|i| table.get(i))
        .ok_or_else(|| format!("index {index} out of range ({name} has {} entries)", table.len()))
}

impl<'a> Dict<'a> {
    /// A string; index 0 is `""` even when the table is empty.
    pub fn string(&self, index: i32) -> Lookup<&'a str> {
        if index == 0 && self.0.string_table.is_empty() {
            return Ok("");
        }
        at(&self.0.string_table, index, "string_table").map(String::as_str)
    }

    pub fn stack(&self, index: i32) -> Lookup<&'a pb::Stack> {
        at(&self.0.stack_table, index, "stack_table")
    }

    pub fn location(&self, index: i32) -> Lookup<&'a pb::Location> {
        at(&self.0.location_table, index, "location_table")
    }

    pub fn function(&self, index: i32) -> Lookup<&'a pb::Function> {
        at(&self.0.function_table, index, "function_table")
    }

    /// A mapping; index 0 means "no mapping" when the table is empty.
    pub fn mapping(&self, index: i32) -> Lookup<Option<&'a pb::Mapping>> {
        if index == 0 && self.0.mapping_table.is_empty() {
            return Ok(None);
        }
        at(&self.0.mapping_table, index, "mapping_table").map(Some)
    }

    pub fn link(&self, index: i32) -> Lookup<&'a pb::Link> {
        at(&self.0.link_table, index, "link_table")
    }

    pub fn attribute(&self, index: i32) -> Lookup<&'a pb::KeyValueAndUnit> {
        at(&self.0.attribute_table, index, "attribute_table")
    }

    /// The label value of the first attribute named `key` among `indices`,
    /// or `""` when there is none.
    pub fn attribute_value(&self, indices: &[i32], key: &str) -> Lookup<String> {
        for &i in indices {
            let attr = self.attribute(i)?;
            if self.string(attr.key_strindex)? == key {
                return super::attributes::value_string(attr.value.as_ref(), self);
            }
        }
        Ok(String::new())
    }
}
