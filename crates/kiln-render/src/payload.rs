//! The data a report embeds: the flame graph as Pyroscope's flamebearer
//! names table and delta-encoded levels, as JSON that is safe inside a
//! `<script>` element.

use kiln_model::pb::querier::v1::{FlameGraph, FlameGraphDiff, Level};
use serde::Serialize;

use crate::ReportMeta;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    format: &'static str,
    meta: &'a ReportMeta,
    names: &'a [String],
    levels: Vec<&'a [i64]>,
    total: i64,
    max_self: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    left_ticks: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    right_ticks: Option<i64>,
}

fn levels(levels: &[Level]) -> Vec<&[i64]> {
    levels.iter().map(|l| l.values.as_slice()).collect()
}

/// The JSON of a single flame graph (4-tuple levels).
pub fn single(meta: &ReportMeta, fg: &FlameGraph) -> String {
    script_safe(&Payload {
        format: "single",
        meta,
        names: &fg.names,
        levels: levels(&fg.levels),
        total: fg.total,
        max_self: fg.max_self,
        left_ticks: None,
        right_ticks: None,
    })
}

/// The JSON of a diff flame graph (7-tuple levels).
pub fn double(meta: &ReportMeta, fg: &FlameGraphDiff) -> String {
    script_safe(&Payload {
        format: "double",
        meta,
        names: &fg.names,
        levels: levels(&fg.levels),
        total: fg.total,
        max_self: fg.max_self,
        left_ticks: Some(fg.left_ticks),
        right_ticks: Some(fg.right_ticks),
    })
}

/// Serialises `value`, then escapes `<`, `>`, `&`, U+2028 and U+2029 as
/// `\uXXXX`. These characters only occur inside JSON strings, where the
/// escape means the same, so no `</script>` or `<!--` can appear and end
/// the element early.
fn script_safe(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_json_cannot_close_the_script_element() {
        let names = vec!["</script><script>alert(1)</script>".to_string(), "a&b\u{2028}".to_string()];
        let out = script_safe(&names);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&') && !out.contains('\u{2028}'));
        let back: Vec<String> = serde_json::from_str(&out).unwrap();
        assert_eq!(back, names);
    }
}
