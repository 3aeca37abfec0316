//! The selector language's cursor: a position in the input, the error
//! messages that name it, and Go's quoted strings.

use crate::error::{Error, Result};

/// A position in the input and what is being parsed, for error messages.
pub(super) struct Cursor<'a> {
    input: &'a str,
    pub(super) pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(input: &'a str, what: &'static str) -> Self {
        Cursor { input, pos: 0, what }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The longest run of ASCII bytes accepted by `ok(index_in_run, byte)`.
    pub(super) fn take_while(&mut self, ok: impl Fn(usize, u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| ok(self.pos - start, b)) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// An `InvalidArgument` error at byte `at`.
    pub(super) fn error_at(&self, at: usize, message: &str) -> Error {
        Error::invalid(self.what, format!("invalid {} {:?}: at byte {at}: {message}", self.what, self.input))
    }

    /// "expected X, found Y" at the current position.
    pub(super) fn expected(&self, what: &str) -> Error {
        let found = match self.input.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(ch) => format!("{ch:?}"),
            None => "end of input".to_owned(),
        };
        self.error_at(self.pos, &format!("expected {what}, found {found}"))
    }

    pub(super) fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected("end of input"))
        }
    }

    pub(super) fn eat(&mut self, s: &str) -> bool {
        let hit = self.input.as_bytes()[self.pos..].starts_with(s.as_bytes());
        if hit {
            self.pos += s.len();
        }
        hit
    }

    /// A `"..."` or `'...'` string with Go escapes, or a raw `` `...` ``.
    pub(super) fn string(&mut self) -> Result<String> {
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
