//! Generic values: any field of any type, decoded by following the
//! metadata's field lists. Constant-pool references stay references until
//! they are looked up, so pools may refer to each other in any order.

use crate::error::Result;

use super::metadata::{Field, FieldKind, Metadata};
use super::reader::{JfrString, Reader};

/// Deepest nesting of inline values accepted.
const MAX_DEPTH: usize = 32;

/// One decoded value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    /// Booleans, bytes, shorts, chars, ints and longs.
    Int(i64),
    Float(f64),
    Str(String),
    /// Key into the `java.lang.String` pool.
    StrRef(u64),
    /// Key into the pool of the given type id.
    Ref(u64, u64),
    Array(Vec<Value>),
    /// An inline value: its fields in the type's field order.
    Object(Vec<Value>),
}

/// Decodes values for one chunk's metadata, within a work budget so that
/// types of empty inline types cannot make decoding run unboundedly long.
pub(crate) struct ValueReader<'m> {
    metadata: &'m Metadata,
    budget: u64,
}

impl<'m> ValueReader<'m> {
    /// A reader spending at most `budget` value decodings.
    pub(crate) fn new(metadata: &'m Metadata, budget: u64) -> Self {
        ValueReader { metadata, budget }
    }

    /// What is left of the budget, to carry over to the next chunk.
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    /// Decodes all fields of type `type_id` written inline.
    pub(crate) fn fields(&mut self, r: &mut Reader<'_>, type_id: u64, depth: usize) -> Result<Vec<Value>> {
        if depth > MAX_DEPTH {
            return Err(r.error("inline values nest too deeply"));
        }
        let metadata = self.metadata;
        let Some(class) = metadata.classes.get(&type_id) else {
            return Err(r.error(format!("unknown type id {type_id}")));
        };
        let mut fields = Vec::with_capacity(class.fields.len());
        for field in &class.fields {
            fields.push(self.field(r, field, depth)?);
        }
        Ok(fields)
    }

    /// Decodes one value of type `type_id` as a pool entry stores it.
    pub(crate) fn pool_entry(&mut self, r: &mut Reader<'_>, type_id: u64) -> Result<Value> {
        match self.metadata.classes.get(&type_id).map(|c| c.name.as_str()) {
            Some("java.lang.String") => self.single(r, FieldKind::String, 0),
            _ => Ok(Value::Object(self.fields(r, type_id, 0)?)),
        }
    }

    fn field(&mut self, r: &mut Reader<'_>, field: &Field, depth: usize) -> Result<Value> {
        if !field.array {
            return self.single(r, field.kind, depth);
        }
        let n = r.count("array length")?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.single(r, field.kind, depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn single(&mut self, r: &mut Reader<'_>, kind: FieldKind, depth: usize) -> Result<Value> {
        if self.budget == 0 {
            return Err(r.error("too many values for the input size"));
        }
        self.budget -= 1;
        Ok(match kind {
            FieldKind::Boolean | FieldKind::Byte => Value::Int(i64::from(r.u8("byte")? as i8)),
            FieldKind::Short => Value::Int(i64::from(r.short("short")?)),
            FieldKind::Int => Value::Int(i64::from(r.int("int")?)),
            FieldKind::Long => Value::Int(r.long("long")?),
            FieldKind::Float => Value::Float(r.float("float")?),
            FieldKind::Double => Value::Float(r.double("double")?),
            FieldKind::String => match r.string("string")? {
                JfrString::Null => Value::Null,
                JfrString::Text(s) => Value::Str(s),
                JfrString::PoolRef(key) => Value::StrRef(key),
            },
            FieldKind::PoolRef(type_id) => Value::Ref(type_id, r.long("constant pool key")? as u64),
            FieldKind::Inline(type_id) => Value::Object(self.fields(r, type_id, depth + 1)?),
        })
    }
}
