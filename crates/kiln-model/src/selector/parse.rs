//! The selector language: Prometheus label matchers in braces, optionally
//! after a name. In a label selector the name is a Prometheus metric name
//! (`__name__`); in a legacy query it is the profile type id
//! (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}`) or a v0 FlameQL
//! application name (`app.cpu{...}`).

use super::cursor::Cursor;
use crate::error::Result;
use crate::profile_type::{legacy_type, ProfileType};
use crate::selector::{MatchOp, Matcher, Selector};

/// What a legacy query's leading name selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// No name: `{...}` alone.
    Any,
    /// `<profile type id>{...}`.
    ProfileType(ProfileType),
    /// v0 FlameQL `app.cpu{...}`: the service and the profile `__name__`
    /// and sample `__type__` its suffix stands for.
    App { service_name: String, name: String, sample_type: String },
}

/// A legacy `query=` string: a target and the label selector after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub target: Target,
    pub selector: Selector,
}

impl Query {
    /// Parses `{...}`, `<profile type id>{...}` or v0 `app.suffix{...}`
    /// (the braces are optional after a name).
    pub fn parse(input: &str) -> Result<Query> {
        let mut c = Cursor::new(input, "query");
        c.skip_ws();
        let target = if c.peek() == Some(b'{') { Target::Any } else { c.target()? };
        c.skip_ws();
        let selector = if c.at_end() { Selector::default() } else { c.braces()? };
        c.end()?;
        Ok(Query { target, selector })
    }

    /// The selector with the target's matchers added: `__profile_type__`
    /// for a profile type id; `service_name`, `__name__` and `__type__`
    /// for a v0 application name.
    pub fn filter(&self) -> Selector {
        match &self.target {
            Target::Any => self.selector.clone(),
            Target::ProfileType(t) => self.selector.clone().with_profile_type(&t.id()),
            Target::App { service_name, name, sample_type } => self
                .selector
                .clone()
                .with(Matcher::equal("service_name", service_name))
                .with(Matcher::equal("__name__", name))
                .with(Matcher::equal("__type__", sample_type)),
        }
    }
}

impl Selector {
    /// Parses a label selector, `{name="v", env=~"a|b", pod!="x"}`, with an
    /// optional Prometheus metric name in front (a `__name__` matcher).
    /// `{}` selects everything.
    pub fn parse(input: &str) -> Result<Selector> {
        let mut c = Cursor::new(input, "selector");
        c.skip_ws();
        let name =
            c.take_while(|i, b| b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit()));
        c.skip_ws();
        let mut selector = if name.is_empty() || c.peek() == Some(b'{') { c.braces()? } else { Selector::default() };
        if !name.is_empty() {
            selector.matchers.insert(0, Matcher::equal("__name__", name));
        }
        c.end()?;
        Ok(selector)
    }
}

impl Cursor<'_> {
    /// A legacy query's leading name: a profile type id or a v0 app name.
    fn target(&mut self) -> Result<Target> {
        let start = self.pos;
        let name = self.take_while(|_, b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-' | b'/'));
        if name.is_empty() {
            return Err(self.expected("a profile type id, an application name or '{'"));
        }
        if name.contains(':') {
            let t = ProfileType::parse(name).map_err(|e| self.error_at(start, &e.message))?;
            return Ok(Target::ProfileType(t));
        }
        let (app, suffix) = name.rsplit_once('.').unwrap_or((name, "cpu"));
        let t = legacy_type(suffix)
            .ok_or_else(|| self.error_at(start, &format!("unknown profile type {suffix:?} in application name")))?;
        let sample_type = match t.name {
            "process_cpu" => "cpu",
            "wall" => "wall",
            _ => t.sample_type,
        };
        Ok(Target::App { service_name: app.to_owned(), name: t.name.to_owned(), sample_type: sample_type.to_owned() })
    }

    /// `{` matchers separated by `,` (a trailing comma allowed) `}`.
    fn braces(&mut self) -> Result<Selector> {
        if !self.eat("{") {
            return Err(self.expected("'{'"));
        }
        let mut selector = Selector::default();
        loop {
            self.skip_ws();
            if self.eat("}") {
                return Ok(selector);
            }
            selector.matchers.push(self.matcher()?);
            self.skip_ws();
            if !self.eat(",") && self.peek() != Some(b'}') {
                return Err(self.expected("',' or '}'"));
            }
        }
    }

    /// `name op "value"`, where the name may be quoted as Prometheus 3
    /// allows (`"thread.name"="x"`); a quoted name alone is the metric
    /// name (`{"process.cpu"}` means `__name__="process.cpu"`).
    fn matcher(&mut self) -> Result<Matcher> {
        let quoted = matches!(self.peek(), Some(b'"' | b'\'' | b'`'));
        let name = if quoted { self.quoted_name()? } else { self.bare_name().to_owned() };
        if name.is_empty() {
            return Err(self.expected("a label name or '}'"));
        }
        self.skip_ws();
        if quoted && matches!(self.peek(), Some(b',' | b'}')) {
            return Ok(Matcher::equal("__name__", &name));
        }
        let op = self.op().ok_or_else(|| self.expected(&format!("one of =, !=, =~, !~ after label name {name:?}")))?;
        self.skip_ws();
        let at = self.pos;
        let value = self.string()?;
        Matcher::new(&name, op, &value).map_err(|e| self.error_at(at, &e.message))
    }

    fn bare_name(&mut self) -> &str {
        self.take_while(|i, b| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && (b.is_ascii_digit() || b == b'.')))
    }

    /// A quoted label or metric name: any non-empty string.
    fn quoted_name(&mut self) -> Result<String> {
        let at = self.pos;
        let name = self.string()?;
        if name.is_empty() {
            return Err(self.error_at(at, "a quoted name must not be empty"));
        }
        Ok(name)
    }

    fn op(&mut self) -> Option<MatchOp> {
        [("=~", MatchOp::Regex), ("!~", MatchOp::NotRegex), ("!=", MatchOp::NotEqual), ("=", MatchOp::Equal)]
            .into_iter()
            .find(|(s, _)| self.eat(s))
            .map(|(_, op)| op)
    }
}
