//! Attribute values as label values, the service name, and the series
//! labels of a resource and scope, following Pyroscope's OTLP ingester.

use rustc_hash::FxHashSet;

use super::dictionary::{Dict, Lookup};
use crate::pb::otlp::any_value::Value;
use crate::pb::otlp::{AnyValue, InstrumentationScope, KeyValue, Resource};

/// Resource attribute naming the service.
pub(super) const SERVICE_NAME_KEY: &str = "service.name";
const EXECUTABLE_NAME_KEY: &str = "process.executable.name";
const SERVICE_NAME_FALLBACK: &str = "unknown_service";

/// Label names Kiln sets itself; attributes with these keys are ignored.
const RESERVED: [&str; 4] = ["__name__", "__delta__", "__otel__", "service_name"];

/// A value as a label value: a string, an integer in decimal, or a
/// one-element array of those; anything else is `""` (no label).
pub(super) fn value_string(value: Option<&AnyValue>, dict: &Dict) -> Lookup<String> {
    let Some(v) = value.and_then(|v| v.value.as_ref()) else { return Ok(String::new()) };
    if let Value::ArrayValue(a) = v {
        return match a.values.as_slice() {
            [one] => scalar_string(one.value.as_ref(), dict),
            _ => Ok(String::new()),
        };
    }
    scalar_string(Some(v), dict)
}

fn scalar_string(v: Option<&Value>, dict: &Dict) -> Lookup<String> {
    Ok(match v {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::StringValueStrindex(i)) => dict.string(*i)?.to_owned(),
        _ => String::new(),
    })
}

fn key<'a>(kv: &'a KeyValue, dict: &Dict<'a>) -> Lookup<&'a str> {
    if kv.key.is_empty() && kv.key_strindex != 0 {
        return dict.string(kv.key_strindex);
    }
    Ok(&kv.key)
}

/// The service name of a resource: `service.name`, else
/// `unknown_service:<process.executable.name>`, else `unknown_service`.
pub(super) fn service_name(attrs: &[KeyValue], dict: &Dict) -> Lookup<String> {
    let mut fallback = SERVICE_NAME_FALLBACK.to_owned();
    for kv in attrs {
        let k = key(kv, dict)?;
        if k == SERVICE_NAME_KEY || k == EXECUTABLE_NAME_KEY {
            let v = value_string(kv.value.as_ref(), dict)?;
            if v.is_empty() {
                continue;
            }
            if k == SERVICE_NAME_KEY {
                return Ok(v);
            }
            fallback.push(':');
            fallback.push_str(&v);
        }
    }
    Ok(fallback)
}

/// The labels of every resource and scope attribute with a label value;
/// the first attribute of a key wins.
pub(super) fn resource_labels(
    resource: Option<&Resource>,
    scope: Option<&InstrumentationScope>,
    dict: &Dict,
) -> Lookup<Vec<(String, String)>> {
    let resource_attrs = resource.map(|r| r.attributes.as_slice()).unwrap_or_default();
    let scope_attrs = scope.map(|s| s.attributes.as_slice()).unwrap_or_default();
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    for kv in resource_attrs.iter().chain(scope_attrs) {
        let k = key(kv, dict)?;
        if RESERVED.contains(&k) || seen.contains(k) {
            continue;
        }
        let v = value_string(kv.value.as_ref(), dict)?;
        if !v.is_empty() {
            seen.insert(k);
            labels.push((k.to_owned(), v));
        }
    }
    Ok(labels)
}
