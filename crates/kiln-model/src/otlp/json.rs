//! protojson → the generated request types, by a walk over
//! `serde_json::Value`, so protobuf and JSON share one conversion.
//!
//! Accepts what protojson writers emit: lowerCamelCase or proto field
//! names, 64-bit (and 32-bit) integers as numbers or strings, bytes as
//! base64 in either alphabet, `null` for absent. Trace and span ids may also
//! be hex, as OTLP/JSON specifies. Unknown fields are ignored, and so are
//! known fields the conversion does not read.

use std::fmt;

use serde_json::{Map, Value};

use super::base64;
use super::FORMAT;
use crate::error::{Error, Position, Result};
use crate::pb::otlp as pb;
use crate::pb::otlp::any_value::Value as Any;

type Obj = Map<String, Value>;

/// A JSON path, built on the stack and printed only on error.
#[derive(Clone, Copy)]
struct P<'a> {
    parent: Option<&'a P<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Field(&'a str),
    Index(usize),
}

impl<'a> P<'a> {
    const ROOT: P<'static> = P { parent: None, seg: Seg::Root };

    fn field<'b>(&'b self, name: &'b str) -> P<'b> {
        P { parent: Some(self), seg: Seg::Field(name) }
    }

    fn index<'b>(&'b self, i: usize) -> P<'b> {
        P { parent: Some(self), seg: Seg::Index(i) }
    }
}

impl fmt::Display for P<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.seg {
            Seg::Root => f.write_str("$"),
            Seg::Field(name) => write!(f, ".{name}"),
            Seg::Index(i) => write!(f, "[{i}]"),
        }
    }
}

fn err(p: &P, message: &str) -> Error {
    Error::malformed(FORMAT, Position::None, format!("json {p}: {message}"))
}

/// Parses a protojson `ExportProfilesServiceRequest`.
pub(super) fn request(data: &[u8]) -> Result<pb::ExportProfilesServiceRequest> {
    let v: Value = serde_json::from_slice(data)
        .map_err(|e| Error::malformed(FORMAT, Position::Line(e.line() as u64), format!("json: {e}")))?;
    let p = P::ROOT;
    let o = object(&v, &p)?;
    Ok(pb::ExportProfilesServiceRequest {
        resource_profiles: list(o, "resource_profiles", &p, resource_profiles)?,
        dictionary: message(o, "dictionary", &p, dictionary)?,
    })
}

fn object<'v>(v: &'v Value, p: &P) -> Result<&'v Obj> {
    v.as_object().ok_or_else(|| err(p, "expected an object"))
}

/// The value of field `snake` (or its lowerCamelCase form); `null` is absent.
fn get<'v>(o: &'v Obj, snake: &str) -> Option<&'v Value> {
    let v = o.get(snake).or_else(|| o.iter().find(|(k, _)| is_camel_of(k, snake)).map(|(_, v)| v))?;
    (!v.is_null()).then_some(v)
}

fn is_camel_of(key: &str, snake: &str) -> bool {
    let mut k = key.chars();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
            continue;
        }
        let want = if upper { c.to_ascii_uppercase() } else { c };
        upper = false;
        if k.next() != Some(want) {
            return false;
        }
    }
    k.next().is_none()
}

fn list<'v, T>(o: &'v Obj, name: &str, p: &P, f: impl Fn(&'v Value, &P) -> Result<T>) -> Result<Vec<T>> {
    let p = p.field(name);
    let Some(v) = get(o, name) else { return Ok(Vec::new()) };
    let items = v.as_array().ok_or_else(|| err(&p, "expected an array"))?;
    items.iter().enumerate().map(|(i, item)| f(item, &p.index(i))).collect()
}

fn message<'v, T>(o: &'v Obj, name: &str, p: &P, f: impl Fn(&'v Obj, &P) -> Result<T>) -> Result<Option<T>> {
    let p = p.field(name);
    get(o, name).map(|v| f(object(v, &p)?, &p)).transpose()
}

fn int<T: TryFrom<i128>>(v: &Value, p: &P) -> Result<T> {
    let integral = |f: f64| (f.fract() == 0.0 && f.abs() < 1e20).then_some(f as i128);
    let n = match v {
        Value::Number(n) => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)).or(n.as_f64().and_then(integral)),
        Value::String(s) => s.parse::<i128>().ok().or_else(|| s.parse::<f64>().ok().and_then(integral)),
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok()).ok_or_else(|| err(p, "expected an integer in range"))
}

/// An integer field, 0 when absent.
fn field<T: TryFrom<i128> + Default>(o: &Obj, name: &str, p: &P) -> Result<T> {
    get(o, name).map_or(Ok(T::default()), |v| int(v, &p.field(name)))
}

fn ints<T: TryFrom<i128>>(o: &Obj, name: &str, p: &P) -> Result<Vec<T>> {
    list(o, name, p, int)
}

fn string(v: &Value, p: &P) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| err(p, "expected a string"))
}

fn bytes(v: &Value, p: &P) -> Result<Vec<u8>> {
    v.as_str().and_then(base64::decode).ok_or_else(|| err(p, "expected base64"))
}

/// An id of `len` bytes: hex (OTLP/JSON) or base64 (protojson).
fn id_field(o: &Obj, name: &str, len: usize, p: &P) -> Result<Vec<u8>> {
    let p = p.field(name);
    let Some(v) = get(o, name) else { return Ok(Vec::new()) };
    match v.as_str().and_then(|s| base64::decode_hex(s, len)) {
        Some(b) => Ok(b),
        None => bytes(v, &p),
    }
}

fn resource_profiles(v: &Value, p: &P) -> Result<pb::ResourceProfiles> {
    let o = object(v, p)?;
    let resource = message(o, "resource", p, |o, p| {
        Ok(pb::Resource { attributes: list(o, "attributes", p, key_value)?, ..Default::default() })
    })?;
    Ok(pb::ResourceProfiles {
        resource,
        scope_profiles: list(o, "scope_profiles", p, scope_profiles)?,
        ..Default::default()
    })
}

fn scope_profiles(v: &Value, p: &P) -> Result<pb::ScopeProfiles> {
    let o = object(v, p)?;
    let scope = message(o, "scope", p, |o, p| {
        Ok(pb::InstrumentationScope { attributes: list(o, "attributes", p, key_value)?, ..Default::default() })
    })?;
    Ok(pb::ScopeProfiles { scope, profiles: list(o, "profiles", p, profile)?, ..Default::default() })
}

fn profile(v: &Value, p: &P) -> Result<pb::Profile> {
    let o = object(v, p)?;
    Ok(pb::Profile {
        sample_type: message(o, "sample_type", p, value_type)?,
        samples: list(o, "samples", p, sample)?,
        time_unix_nano: field(o, "time_unix_nano", p)?,
        duration_nano: field(o, "duration_nano", p)?,
        period_type: message(o, "period_type", p, value_type)?,
        period: field(o, "period", p)?,
        attribute_indices: ints(o, "attribute_indices", p)?,
        ..Default::default()
    })
}

fn value_type(o: &Obj, p: &P) -> Result<pb::ValueType> {
    Ok(pb::ValueType { type_strindex: field(o, "type_strindex", p)?, unit_strindex: field(o, "unit_strindex", p)? })
}

fn sample(v: &Value, p: &P) -> Result<pb::Sample> {
    let o = object(v, p)?;
    Ok(pb::Sample {
        stack_index: field(o, "stack_index", p)?,
        attribute_indices: ints(o, "attribute_indices", p)?,
        link_index: field(o, "link_index", p)?,
        values: ints(o, "values", p)?,
        timestamps_unix_nano: ints(o, "timestamps_unix_nano", p)?,
    })
}

fn dictionary(o: &Obj, p: &P) -> Result<pb::ProfilesDictionary> {
    Ok(pb::ProfilesDictionary {
        mapping_table: list(o, "mapping_table", p, mapping)?,
        location_table: list(o, "location_table", p, location)?,
        function_table: list(o, "function_table", p, function)?,
        link_table: list(o, "link_table", p, link)?,
        string_table: list(o, "string_table", p, string)?,
        attribute_table: list(o, "attribute_table", p, key_value_and_unit)?,
        stack_table: list(o, "stack_table", p, |v, p| {
            Ok(pb::Stack { location_indices: ints(object(v, p)?, "location_indices", p)? })
        })?,
    })
}

fn mapping(v: &Value, p: &P) -> Result<pb::Mapping> {
    let o = object(v, p)?;
    Ok(pb::Mapping {
        memory_start: field(o, "memory_start", p)?,
        memory_limit: field(o, "memory_limit", p)?,
        file_offset: field(o, "file_offset", p)?,
        filename_strindex: field(o, "filename_strindex", p)?,
        attribute_indices: ints(o, "attribute_indices", p)?,
    })
}

fn location(v: &Value, p: &P) -> Result<pb::Location> {
    let o = object(v, p)?;
    Ok(pb::Location {
        mapping_index: field(o, "mapping_index", p)?,
        address: field(o, "address", p)?,
        lines: list(o, "lines", p, |v, p| {
            let o = object(v, p)?;
            Ok(pb::Line {
                function_index: field(o, "function_index", p)?,
                line: field(o, "line", p)?,
                column: field(o, "column", p)?,
            })
        })?,
        attribute_indices: ints(o, "attribute_indices", p)?,
    })
}

fn function(v: &Value, p: &P) -> Result<pb::Function> {
    let o = object(v, p)?;
    Ok(pb::Function {
        name_strindex: field(o, "name_strindex", p)?,
        system_name_strindex: field(o, "system_name_strindex", p)?,
        filename_strindex: field(o, "filename_strindex", p)?,
        start_line: field(o, "start_line", p)?,
    })
}

fn link(v: &Value, p: &P) -> Result<pb::Link> {
    let o = object(v, p)?;
    Ok(pb::Link { trace_id: id_field(o, "trace_id", 16, p)?, span_id: id_field(o, "span_id", 8, p)? })
}

fn key_value_and_unit(v: &Value, p: &P) -> Result<pb::KeyValueAndUnit> {
    let o = object(v, p)?;
    Ok(pb::KeyValueAndUnit {
        key_strindex: field(o, "key_strindex", p)?,
        value: message(o, "value", p, any_value)?,
        unit_strindex: field(o, "unit_strindex", p)?,
    })
}

fn key_value(v: &Value, p: &P) -> Result<pb::KeyValue> {
    let o = object(v, p)?;
    Ok(pb::KeyValue {
        key: get(o, "key").map_or(Ok(String::new()), |v| string(v, &p.field("key")))?,
        value: message(o, "value", p, any_value)?,
        key_strindex: field(o, "key_strindex", p)?,
    })
}

fn any_value(o: &Obj, p: &P) -> Result<pb::AnyValue> {
    let value = if let Some(v) = get(o, "string_value") {
        Some(Any::StringValue(string(v, &p.field("string_value"))?))
    } else if let Some(v) = get(o, "bool_value") {
        Some(Any::BoolValue(v.as_bool().ok_or_else(|| err(&p.field("bool_value"), "expected a boolean"))?))
    } else if get(o, "int_value").is_some() {
        Some(Any::IntValue(field(o, "int_value", p)?))
    } else if let Some(v) = get(o, "double_value") {
        Some(Any::DoubleValue(double(v, &p.field("double_value"))?))
    } else if get(o, "string_value_strindex").is_some() {
        Some(Any::StringValueStrindex(field(o, "string_value_strindex", p)?))
    } else if let Some(v) = get(o, "bytes_value") {
        Some(Any::BytesValue(bytes(v, &p.field("bytes_value"))?))
    } else {
        nested_value(o, p)?
    };
    Ok(pb::AnyValue { value })
}

fn nested_value(o: &Obj, p: &P) -> Result<Option<Any>> {
    if let Some(a) = message(o, "array_value", p, |o, p| list(o, "values", p, |v, p| any_value(object(v, p)?, p)))? {
        return Ok(Some(Any::ArrayValue(pb::ArrayValue { values: a })));
    }
    let kv = message(o, "kvlist_value", p, |o, p| list(o, "values", p, key_value))?;
    Ok(kv.map(|values| Any::KvlistValue(pb::KeyValueList { values })))
}

fn double(v: &Value, p: &P) -> Result<f64> {
    let d = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            s => s.parse().ok(),
        },
        _ => None,
    };
    d.ok_or_else(|| err(p, "expected a number"))
}
