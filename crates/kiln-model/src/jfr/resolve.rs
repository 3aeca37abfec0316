//! Navigating decoded values by field name through the constant pools, and
//! turning stack-trace references into named frames, cached per chunk.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::constant_pool::Pools;
use super::metadata::{FieldKind, Metadata};
use super::symbols::merge_generated_names;
use super::value::Value;

/// An object's field values and its type id.
pub(crate) type Object<'v> = (&'v [Value], u64);

/// One frame of a stack: `class.method`, its chunk-local method key and
/// its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub name: Rc<str>,
    pub method: u64,
    pub line: i64,
}

/// Read access to one chunk's types and pools.
pub(crate) struct Chunk<'c> {
    pub metadata: &'c Metadata,
    pub pools: &'c Pools,
    string_type: Option<u64>,
}

impl<'c> Chunk<'c> {
    pub(crate) fn new(metadata: &'c Metadata, pools: &'c Pools) -> Self {
        Chunk { metadata, pools, string_type: metadata.id_of("java.lang.String") }
    }

    /// The object a value stands for: a pool entry or an inline object.
    pub(crate) fn object<'v>(&'v self, value: &'v Value, kind: FieldKind) -> Option<Object<'v>> {
        match (value, kind) {
            (Value::Object(fields), FieldKind::Inline(type_id)) => Some((fields, type_id)),
            _ => self.pooled(value),
        }
    }

    /// The pool entry a reference points to, if it is an object.
    pub(crate) fn pooled<'v>(&'v self, value: &'v Value) -> Option<Object<'v>> {
        let Value::Ref(type_id, key) = value else { return None };
        match self.pools.get(*type_id, *key)? {
            Value::Object(fields) => Some((fields, *type_id)),
            _ => None,
        }
    }

    /// A field of an object, by name, with how it is encoded.
    pub(crate) fn field<'v>(&'v self, object: Object<'v>, name: &str) -> Option<(&'v Value, FieldKind)> {
        let class = self.metadata.classes.get(&object.1)?;
        let i = class.field(name)?;
        Some((object.0.get(i)?, class.fields.get(i)?.kind))
    }

    /// The object a field of an object refers to.
    pub(crate) fn child<'v>(&'v self, object: Object<'v>, name: &str) -> Option<Object<'v>> {
        let (value, kind) = self.field(object, name)?;
        self.object(value, kind)
    }

    /// The integer value of a field.
    pub(crate) fn int(&self, object: Object<'_>, name: &str) -> Option<i64> {
        match self.field(object, name)? {
            (Value::Int(n), _) => Some(*n),
            _ => None,
        }
    }

    /// The text of a field that is a string or a symbol (an object whose
    /// `string` field holds the text).
    pub(crate) fn text<'v>(&'v self, object: Object<'v>, name: &str) -> Option<&'v str> {
        let (value, kind) = self.field(object, name)?;
        match value {
            Value::Ref(..) => self.text(self.object(value, kind)?, "string"),
            _ => self.string(value),
        }
    }

    fn string<'v>(&'v self, value: &'v Value) -> Option<&'v str> {
        match value {
            Value::Str(s) => Some(s),
            Value::StrRef(key) => match self.pools.get(self.string_type?, *key)? {
                Value::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Resolves stack traces of one chunk, caching methods and stacks by key.
pub(crate) struct Stacks<'c> {
    chunk: &'c Chunk<'c>,
    methods: FxHashMap<u64, Option<Rc<str>>>,
    stacks: FxHashMap<u64, Option<Rc<[Frame]>>>,
}

impl<'c> Stacks<'c> {
    pub(crate) fn new(chunk: &'c Chunk<'c>) -> Self {
        Stacks { chunk, methods: FxHashMap::default(), stacks: FxHashMap::default() }
    }

    /// The pool key and frames, leaf first, of the stack trace an event
    /// field refers to; `None` when the trace is not in the pools (the
    /// sample is then dropped, as Pyroscope does).
    pub(crate) fn frames(&mut self, stack_ref: &Value) -> Option<(u64, Rc<[Frame]>)> {
        let Value::Ref(_, key) = stack_ref else { return None };
        let frames = match self.stacks.get(key) {
            Some(cached) => cached.clone(),
            None => {
                let frames = self.resolve(stack_ref);
                self.stacks.insert(*key, frames.clone());
                frames
            }
        };
        Some((*key, frames?))
    }

    fn resolve(&mut self, stack_ref: &Value) -> Option<Rc<[Frame]>> {
        let chunk = self.chunk;
        let trace = chunk.pooled(stack_ref)?;
        let (Value::Array(items), kind) = chunk.field(trace, "frames")? else { return None };
        let mut frames = Vec::with_capacity(items.len());
        for item in items {
            let Some(frame) = chunk.object(item, kind) else { continue };
            let Some((method @ Value::Ref(_, method_key), _)) = chunk.field(frame, "method") else { continue };
            if let Some(name) = self.method_name(method) {
                // JFR writes -1 for unknown lines; pprof says 0.
                let line = chunk.int(frame, "lineNumber").unwrap_or(0).max(0);
                frames.push(Frame { name, method: *method_key, line });
            }
        }
        Some(frames.into())
    }

    /// `class.method`, or `None` when the method or its class is missing
    /// (the frame is then skipped, as Pyroscope does).
    fn method_name(&mut self, method_ref: &Value) -> Option<Rc<str>> {
        let Value::Ref(_, key) = method_ref else { return None };
        if let Some(cached) = self.methods.get(key) {
            return cached.clone();
        }
        let chunk = self.chunk;
        let name = chunk.pooled(method_ref).and_then(|method| {
            let class = chunk.child(method, "type")?;
            let class_name = merge_generated_names(chunk.text(class, "name").unwrap_or_default());
            let method_name = merge_generated_names(chunk.text(method, "name").unwrap_or_default());
            Some(Rc::from(format!("{class_name}.{method_name}")))
        });
        self.methods.insert(*key, name.clone());
        name
    }
}
