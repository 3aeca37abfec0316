//! The selector language: Prometheus label matchers in braces, optionally
//! after a name. In a label selector the name is a Prometheus metric name
//! (`__name__`); in a legacy query it is the profile type id
//! (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}`) or a v0 FlameQL
//! application name (`app.cpu{...}`).

use kiln_model::profile_type::{legacy_type, ProfileType};

use crate::error::{QueryError, Result};
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

/// A position in the input and what is being parsed, for error messages.
struct Cursor<'a> {
    input: &'a str,
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(input: &'a str, what: &'static str) -> Self {
        Cursor { input, pos: 0, what }
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The longest run of ASCII bytes accepted by `ok(index_in_run, byte)`.
    fn take_while(&mut self, ok: impl Fn(usize, u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| ok(self.pos - start, b)) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// An `InvalidArgument` error at byte `at`.
    fn error_at(&self, at: usize, message: &str) -> QueryError {
        QueryError::invalid(format!("invalid {} {:?}: at byte {at}: {message}", self.what, self.input))
    }

    /// "expected X, found Y" at the current position.
    fn expected(&self, what: &str) -> QueryError {
        let found = match self.input.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(ch) => format!("{ch:?}"),
            None => "end of input".to_owned(),
        };
        self.error_at(self.pos, &format!("expected {what}, found {found}"))
    }

    fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected("end of input"))
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        let hit = self.input.as_bytes()[self.pos..].starts_with(s.as_bytes());
        if hit {
            self.pos += s.len();
        }
        hit
    }

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

    fn matcher(&mut self) -> Result<Matcher> {
        let name = self
            .take_while(|i, b| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && (b.is_ascii_digit() || b == b'.')));
        if name.is_empty() {
            return Err(self.expected("a label name or '}'"));
        }
        self.skip_ws();
        let op = self.op().ok_or_else(|| self.expected(&format!("one of =, !=, =~, !~ after label name {name:?}")))?;
        self.skip_ws();
        let at = self.pos;
        let value = self.string()?;
        Matcher::new(name, op, &value).map_err(|e| self.error_at(at, &e.message))
    }

    fn op(&mut self) -> Option<MatchOp> {
        [("=~", MatchOp::Regex), ("!~", MatchOp::NotRegex), ("!=", MatchOp::NotEqual), ("=", MatchOp::Equal)]
            .into_iter()
            .find(|(s, _)| self.eat(s))
            .map(|(_, op)| op)
    }

    /// A `"..."` or `'...'` string with Go escapes, or a raw `` `...` ``.
    fn string(&mut self) -> Result<String> {
        let open = self.pos;
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'' | b'`')) => q,
            _ => return Err(self.expected("a quoted string")),
        };
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error_at(open, "unterminated quoted string")),
                Some(b'\n') if quote != b'`' => return Err(self.error_at(open, "unterminated quoted string")),
                Some(b) if b == quote => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') if quote != b'`' => {
                    self.pos += 1;
                    self.escape(quote, &mut out)?;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.error_at(open, "the string is not valid UTF-8"))
    }

    /// One escape sequence after a backslash, appended to `out`.
    fn escape(&mut self, quote: u8, out: &mut Vec<u8>) -> Result<()> {
        let at = self.pos - 1;
        let Some(b) = self.peek() else { return Err(self.error_at(at, "unterminated escape sequence")) };
        self.pos += 1;
        let simple = match b {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            _ if b == quote => Some(quote),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            return Ok(());
        }
        match b {
            b'x' => out.push(self.digits(at, 2, 16)? as u8),
            b'0'..=b'7' => {
                self.pos -= 1;
                let v = self.digits(at, 3, 8)?;
                out.push(u8::try_from(v).map_err(|_| self.error_at(at, "octal escape value above 255"))?);
            }
            b'u' | b'U' => {
                let v = self.digits(at, if b == b'u' { 4 } else { 8 }, 16)?;
                let ch =
                    char::from_u32(v).ok_or_else(|| self.error_at(at, "escape is not a valid Unicode code point"))?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            }
            _ => return Err(self.error_at(at, "unknown escape sequence")),
        }
        Ok(())
    }

    /// Exactly `n` digits in `radix`.
    fn digits(&mut self, at: usize, n: usize, radix: u32) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let d = self.peek().and_then(|b| (b as char).to_digit(radix));
            let d = d.ok_or_else(|| self.error_at(at, "malformed escape sequence"))?;
            v = v * radix + d;
            self.pos += 1;
        }
        Ok(v)
    }
}
