//! The metadata event: JFR's self-description. A string table followed by
//! a tree of elements (`root` > `metadata` > `class` > `field`) that names
//! every type id and lists each type's fields in encoding order.

use rustc_hash::FxHashMap;

use crate::error::Result;

use super::reader::{JfrString, Reader};

/// Type id of the metadata event.
pub(crate) const METADATA_EVENT: u64 = 0;

/// Deepest element nesting accepted (real files use five levels).
const MAX_ELEMENT_DEPTH: usize = 32;

/// How a field's value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Boolean,
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    String,
    /// A key into the constant pool of this type id.
    PoolRef(u64),
    /// A value of this type written inline, field by field.
    Inline(u64),
}

/// One field of a type.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub kind: FieldKind,
    /// `dimension="1"`: a length-prefixed array of values.
    pub array: bool,
}

/// One type: an event, a constant-pool type or a primitive.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub name: String,
    pub fields: Vec<Field>,
}

impl Class {
    /// The index of the field called `name`.
    pub(crate) fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// Every type of one chunk, by id.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    pub classes: FxHashMap<u64, Class>,
}

impl Metadata {
    /// The id of the type called `name`.
    pub(crate) fn id_of(&self, name: &str) -> Option<u64> {
        self.classes.iter().find(|(_, c)| c.name == name).map(|(&id, _)| id)
    }
}

/// An element of the metadata tree, with names and values as indices into
/// the string table.
struct Element {
    name: usize,
    attributes: Vec<(usize, usize)>,
    children: Vec<Element>,
}

/// A field before its type id is resolved to a kind.
struct RawField {
    name: String,
    type_id: u64,
    constant_pool: bool,
    array: bool,
}

/// Parses the metadata event whose size prefix starts at `r`'s position.
pub(crate) fn read(r: &mut Reader<'_>) -> Result<Metadata> {
    let mut r = r.event()?;
    let ty = r.long("metadata type")?;
    if ty as u64 != METADATA_EVENT {
        return Err(r.error(format!("expected the metadata event (type 0), found type {ty}")));
    }
    for what in ["metadata start", "metadata duration", "metadata id"] {
        r.long(what)?;
    }
    let strings = read_strings(&mut r)?;
    let root = read_element(&mut r, strings.len(), 0)?;
    interpret(&root, &strings, &r)
}

fn read_strings(r: &mut Reader<'_>) -> Result<Vec<String>> {
    let n = r.count("metadata string count")?;
    let mut strings = Vec::with_capacity(n);
    for _ in 0..n {
        strings.push(match r.string("metadata string")? {
            JfrString::Text(s) => s,
            JfrString::Null => String::new(),
            JfrString::PoolRef(_) => return Err(r.error("metadata string refers to a constant pool")),
        });
    }
    Ok(strings)
}

fn read_element(r: &mut Reader<'_>, n_strings: usize, depth: usize) -> Result<Element> {
    if depth > MAX_ELEMENT_DEPTH {
        return Err(r.error("metadata elements nest too deeply"));
    }
    let name = string_index(r, n_strings)?;
    let n_attributes = r.count("attribute count")?;
    let mut attributes = Vec::with_capacity(n_attributes);
    for _ in 0..n_attributes {
        attributes.push((string_index(r, n_strings)?, string_index(r, n_strings)?));
    }
    let n_children = r.count("child count")?;
    let mut children = Vec::with_capacity(n_children);
    for _ in 0..n_children {
        children.push(read_element(r, n_strings, depth + 1)?);
    }
    Ok(Element { name, attributes, children })
}

fn string_index(r: &mut Reader<'_>, n_strings: usize) -> Result<usize> {
    let i = r.int("string index")?;
    if i < 0 || i as usize >= n_strings {
        return Err(r.error(format!("string index {i} out of range (table has {n_strings})")));
    }
    Ok(i as usize)
}

impl Element {
    fn name<'s>(&self, strings: &'s [String]) -> &'s str {
        &strings[self.name]
    }

    fn attribute<'s>(&self, strings: &'s [String], key: &str) -> Option<&'s str> {
        self.attributes.iter().find(|(k, _)| strings[*k] == key).map(|(_, v)| strings[*v].as_str())
    }
}

/// Turns the element tree into typed classes.
fn interpret(root: &Element, strings: &[String], r: &Reader<'_>) -> Result<Metadata> {
    let mut raw: FxHashMap<u64, (String, Vec<RawField>)> = FxHashMap::default();
    let class_elements = root
        .children
        .iter()
        .filter(|e| e.name(strings) == "metadata")
        .flat_map(|m| m.children.iter().filter(|e| e.name(strings) == "class"));
    for class in class_elements {
        let id = id_attribute(class, strings, "id", r)?;
        let name = class.attribute(strings, "name").unwrap_or_default().to_owned();
        let mut fields = Vec::new();
        for field in class.children.iter().filter(|e| e.name(strings) == "field") {
            fields.push(RawField {
                name: field.attribute(strings, "name").unwrap_or_default().to_owned(),
                type_id: id_attribute(field, strings, "class", r)?,
                constant_pool: field.attribute(strings, "constantPool") == Some("true"),
                array: field.attribute(strings, "dimension") == Some("1"),
            });
        }
        raw.insert(id, (name, fields));
    }
    resolve(raw, r)
}

fn id_attribute(e: &Element, strings: &[String], key: &str, r: &Reader<'_>) -> Result<u64> {
    let value = e.attribute(strings, key).unwrap_or_default();
    value.parse().map_err(|_| r.error(format!("metadata {} has a bad {key} attribute {value:?}", e.name(strings))))
}

/// Resolves each field's type id to how its values are encoded.
fn resolve(raw: FxHashMap<u64, (String, Vec<RawField>)>, r: &Reader<'_>) -> Result<Metadata> {
    let names: FxHashMap<u64, String> = raw.iter().map(|(&id, (name, _))| (id, name.clone())).collect();
    let mut classes = FxHashMap::default();
    for (id, (name, raw_fields)) in raw {
        let mut fields = Vec::with_capacity(raw_fields.len());
        for f in raw_fields {
            let Some(type_name) = names.get(&f.type_id) else {
                return Err(r.error(format!("field {name}.{} has unknown type id {}", f.name, f.type_id)));
            };
            let kind = field_kind(type_name, f.type_id, f.constant_pool);
            fields.push(Field { name: f.name, kind, array: f.array });
        }
        classes.insert(id, Class { name, fields });
    }
    Ok(Metadata { classes })
}

fn field_kind(type_name: &str, type_id: u64, constant_pool: bool) -> FieldKind {
    if constant_pool {
        return FieldKind::PoolRef(type_id);
    }
    match type_name {
        "boolean" => FieldKind::Boolean,
        "byte" => FieldKind::Byte,
        "short" | "char" => FieldKind::Short,
        "int" => FieldKind::Int,
        "long" => FieldKind::Long,
        "float" => FieldKind::Float,
        "double" => FieldKind::Double,
        "java.lang.String" => FieldKind::String,
        _ => FieldKind::Inline(type_id),
    }
}
