//! `perf script` text import.
//!
//! Reads the default text output of `perf script`: an event header line
//! (`comm [pid/]tid [cpu] time: [period] event:`), then the callchain one
//! frame a line, leaf first, then a blank line. Stacks follow
//! `inferno-collapse-perf`'s defaults: the command name is the root frame,
//! `+0x..` offsets are stripped, `[unknown]` symbols are named after their
//! DSO, kernel frames are kept, and only events of the first event type seen
//! are counted. Each event counts 1 in the `samples`/`count` sample type.
//!
//! One pass over the bytes: frames are resolved once per distinct
//! `(symbol, DSO)` pair and stacks are counted before they reach the
//! builder, so the common path allocates nothing per line.

mod symbol;

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::builder::ProfileBuilder;
use crate::error::{Error, Position, Result};
use crate::gzip::{maybe_gunzip, MAX_DECOMPRESSED_BYTES};
use crate::profile::Profile;

const FORMAT: &str = "perf script";

/// Decodes `perf script` text (optionally gzip-compressed) into a profile
/// with one `samples`/`count` sample type.
pub fn decode(data: &[u8]) -> Result<Profile> {
    let data = maybe_gunzip(FORMAT, data, MAX_DECOMPRESSED_BYTES)?;
    let text = match std::str::from_utf8(&data) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(&data),
    };
    let mut parser = Parser::default();
    for (i, line) in text.split('\n').enumerate() {
        parser.line(line, i as u64 + 1)?;
    }
    parser.end_event()?;
    Ok(parser.finish())
}

/// What the lines after a header belong to.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// Between events: the next non-blank line is a header.
    None,
    /// An event being counted; its header line and stack lines seen so far.
    Counted { header: u64, lines: u64 },
    /// An event of another type: its stack lines are ignored.
    Skipped,
}

/// The parts of an event header the stacks depend on.
struct Header<'a> {
    comm: &'a str,
    event: Option<&'a str>,
    inline_stack: Option<&'a str>,
}

struct Parser<'a> {
    builder: ProfileBuilder,
    event: Event,
    event_filter: Option<&'a str>,
    comm: &'a str,
    /// Location ids of the current event, leaf first.
    stack: Vec<u64>,
    /// `(symbol, DSO, java)` to a range of `frame_pool`, leaf first.
    frames: FxHashMap<(&'a str, &'a str, bool), (usize, usize)>,
    frame_pool: Vec<u64>,
    roots: FxHashMap<&'a str, u64>,
    /// Distinct stacks (leaf first, root included) to their index in `counts`.
    stacks: FxHashMap<Vec<u64>, usize>,
    counts: Vec<i64>,
}

impl Default for Parser<'_> {
    fn default() -> Self {
        Parser {
            builder: ProfileBuilder::new(&[("samples", "count")], ("samples", "count"), 1),
            event: Event::None,
            event_filter: None,
            comm: "",
            stack: Vec::new(),
            frames: FxHashMap::default(),
            frame_pool: Vec::new(),
            roots: FxHashMap::default(),
            stacks: FxHashMap::default(),
            counts: Vec::new(),
        }
    }
}

impl<'a> Parser<'a> {
    fn line(&mut self, raw: &'a str, line_no: u64) -> Result<()> {
        if raw.starts_with('#') {
            return Ok(());
        }
        let line = raw.trim_end();
        if line.is_empty() {
            return self.end_event();
        }
        match self.event {
            Event::None => self.header(line, line_no),
            Event::Counted { header, lines } => {
                self.event = Event::Counted { header, lines: lines + 1 };
                self.stack_line(line, line_no)
            }
            Event::Skipped => Ok(()),
        }
    }

    fn header(&mut self, line: &'a str, line_no: u64) -> Result<()> {
        let h =
            parse_header(line).ok_or_else(|| malformed(line_no, "expected an event header (comm tid time: event:)"))?;
        if let Some(event) = h.event {
            match self.event_filter {
                Some(filter) if filter != event => {
                    self.event = if h.inline_stack.is_some() { Event::None } else { Event::Skipped };
                    return Ok(());
                }
                Some(_) => {}
                None => self.event_filter = Some(event),
            }
        }
        self.comm = h.comm;
        self.event = Event::Counted { header: line_no, lines: 0 };
        if let Some(stack) = h.inline_stack {
            self.event = Event::Counted { header: line_no, lines: 1 };
            self.stack_line(stack, line_no)?;
            self.end_event()?;
        }
        Ok(())
    }

    fn stack_line(&mut self, line: &'a str, line_no: u64) -> Result<()> {
        let (func, module) =
            parse_stack_line(line).ok_or_else(|| malformed(line_no, "expected a stack line (address symbol (dso))"))?;
        let func = strip_offset(func);
        if func.starts_with('(') {
            return Ok(());
        }
        let java = self.comm.starts_with("java");
        let (start, end) = match self.frames.get(&(func, module, java)) {
            Some(&range) => range,
            None => self.resolve_frames(func, module, java),
        };
        self.stack.extend_from_slice(&self.frame_pool[start..end]);
        Ok(())
    }

    fn resolve_frames(&mut self, func: &'a str, module: &'a str, java: bool) -> (usize, usize) {
        let start = self.frame_pool.len();
        let builder = &mut self.builder;
        let pool = &mut self.frame_pool;
        symbol::frame_names(func, module, java, |name| pool.push(builder.frame(name)));
        pool[start..].reverse();
        let range = (start, pool.len());
        self.frames.insert((func, module, java), range);
        range
    }

    fn end_event(&mut self) -> Result<()> {
        if let Event::Counted { header, lines: 0 } = self.event {
            return Err(malformed(header, "event header has no stack"));
        }
        if matches!(self.event, Event::Counted { .. }) && !self.stack.is_empty() {
            let root = match self.roots.get(self.comm) {
                Some(&root) => root,
                None => {
                    let root = self.builder.frame(&self.comm.replace(' ', "_"));
                    self.roots.insert(self.comm, root);
                    root
                }
            };
            self.stack.push(root);
            match self.stacks.get(self.stack.as_slice()) {
                Some(&i) => self.counts[i] += 1,
                None => {
                    self.stacks.insert(self.stack.clone(), self.counts.len());
                    self.counts.push(1);
                }
            }
        }
        self.stack.clear();
        self.event = Event::None;
        Ok(())
    }

    fn finish(mut self) -> Profile {
        let mut stacks: Vec<(usize, Vec<u64>)> = self.stacks.into_iter().map(|(s, i)| (i, s)).collect();
        stacks.sort_unstable_by_key(|(i, _)| *i);
        for (i, stack) in stacks {
            self.builder.add_sample(stack, &[self.counts[i]], Vec::new());
        }
        self.builder.build()
    }
}

fn malformed(line_no: u64, message: &str) -> Error {
    Error::malformed(FORMAT, Position::Line(line_no), message)
}

/// Splits a header at its first all-digit word after the command name (the
/// tid or `pid/tid`); the event name is the last word before the second
/// `:`, and anything after the event's own `:`s is a one-frame stack.
fn parse_header(line: &str) -> Option<Header<'_>> {
    let (comm, rest) = split_at_tid(line)?;
    let comm = comm.trim();
    if comm.is_empty() {
        return None;
    }
    let mut parts = rest.splitn(3, ':').skip(1);
    let event = parts.next().map(|p| p.rsplit(' ').next().unwrap_or(p));
    let inline_stack = parts.next().and_then(|after| {
        let start = after.find([':', ' ']).map_or(0, |i| i + 1);
        Some(after[start..].trim()).filter(|s| !s.is_empty())
    });
    Some(Header { comm, event, inline_stack })
}

/// The text before the tid word (with its separating space) and after it.
fn split_at_tid(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut word_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (b, word_start) {
            (b' ', Some(start)) if start < i => return Some((&line[..start - 1], &line[i + 1..])),
            (b' ', _) => word_start = Some(i + 1),
            (b'0'..=b'9' | b'/', _) => {}
            _ => word_start = None,
        }
    }
    None
}

/// `address symbol (dso)` to `(symbol, dso)`; a missing symbol is `" "`.
fn parse_stack_line(line: &str) -> Option<(&str, &str)> {
    let (_address, rest) = line.trim_start().split_once(' ')?;
    let (func, module) = rest.rsplit_once(' ')?;
    let module = module.strip_prefix('(')?.strip_suffix(')')?;
    let func = match func.trim() {
        "" => " ",
        f => f,
    };
    Some((func, module))
}

/// `name+0x1f` to `name`.
fn strip_offset(func: &str) -> &str {
    match func.rfind("+0x") {
        Some(i) if func[i + 3..].bytes().all(|b| b.is_ascii_hexdigit()) => &func[..i],
        _ => func,
    }
}
