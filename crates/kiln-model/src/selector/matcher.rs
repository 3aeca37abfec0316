//! Label matchers and selectors, evaluated as Prometheus does: a missing
//! label has the empty value, and regexes are fully anchored.

use std::fmt;

use regex::Regex;

use crate::error::{Error, Result};

/// The series label holding the profile type id.
pub const PROFILE_TYPE_LABEL: &str = "__profile_type__";

/// A matcher's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    /// The operator as written in a selector.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// One `name op "value"` condition on a series' labels.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// `^(?:value)$`, for the regex operators.
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.op, &self.value) == (&other.name, other.op, &other.value)
    }
}

impl Eq for Matcher {}

impl Matcher {
    /// A matcher; a regex that does not compile is `InvalidArgument`, whose
    /// message is the whole explanation (the `selector` format adds nothing).
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher> {
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| Error::invalid("selector", format!("invalid regular expression {value:?}: {e}")))?,
            ),
            MatchOp::Equal | MatchOp::NotEqual => None,
        };
        Ok(Matcher { name: name.to_owned(), op, value: value.to_owned(), regex })
    }

    /// `name = value`.
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher { name: name.to_owned(), op: MatchOp::Equal, value: value.to_owned(), regex: None }
    }

    /// Whether a label value (empty when the label is absent) matches.
    pub fn matches_value(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether a series' labels match.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let value = labels.iter().find(|(n, _)| *n == self.name).map_or("", |(_, v)| v.as_str());
        self.matches_value(value)
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_bare_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            write_quoted(f, &self.name)?;
        }
        f.write_str(self.op.as_str())?;
        write_quoted(f, &self.value)
    }
}

/// Whether a label name can be written without quotes.
fn is_bare_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// `s` in double quotes with Go escapes, as the parser reads it back.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for ch in s.chars() {
        match ch {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            c if c.is_control() && (c as u32) < 0x80 => write!(f, "\\x{:02x}", c as u32)?,
            c if c.is_control() => write!(f, "\\U{:08x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Matchers that must all hold; no matchers (`{}`) selects every series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub matchers: Vec<Matcher>,
}

impl Selector {
    /// Adds a matcher.
    pub fn with(mut self, m: Matcher) -> Selector {
        self.matchers.push(m);
        self
    }

    /// This selector restricted to series of one profile type id, as
    /// Pyroscope's `SelectorFromProfileType`.
    pub fn with_profile_type(self, id: &str) -> Selector {
        self.with(Matcher::equal(PROFILE_TYPE_LABEL, id))
    }
}

impl Selector {
    /// Whether a series' labels match every matcher.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

/// Series matching any of several selectors, as Pyroscope ORs the
/// `matchers` of `LabelNames`, `LabelValues` and `Series`. No selectors
/// selects every series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnyOf(pub Vec<Selector>);

impl AnyOf {
    /// Parses each matcher string with [`Selector::parse`].
    pub fn parse(matchers: &[String]) -> Result<AnyOf> {
        matchers.iter().map(|m| Selector::parse(m)).collect::<Result<Vec<_>>>().map(AnyOf)
    }
}

impl AnyOf {
    /// Whether a series' labels match any of the selectors (or there are none).
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        self.0.is_empty() || self.0.iter().any(|s| s.matches(labels))
    }
}
