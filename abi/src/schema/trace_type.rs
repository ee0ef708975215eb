//! Describes a type by running its `Deserialize` against a tracer: a
//! deserializer that answers every request with a small value and writes
//! down what was asked for.
//!
//! One run sees one variant of each enum it meets, so the tracer runs the
//! type again for each variant not yet seen. With a codec that matches
//! fields by name it also runs it once per non-`Option` field, leaving the
//! field out, to learn whether the field is required or has a
//! `#[serde(default)]`, and once per struct with a field the struct does
//! not know, to learn whether it has `deny_unknown_fields`. Each extra run
//! tries one thing, so that a failed run says what failed.
//!
//! A container met again inside itself (a tree's children) is not traced
//! again: its place holds its name, and the tracer makes the smallest value
//! it has (`None`, an empty sequence, a variant without fields) so that
//! the outer value can be finished.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::model::{Container, Field, Format, Schema, Shape, Variant};
use crate::Layout;

/// The most runs of one type: enough for a thousand variants and probed
/// fields; past it, untried variants stay undescribed and unprobed fields
/// count as required.
const MAX_RUNS: usize = 1024;

/// The most requests in one run: a larger type is not described.
const MAX_NODES: usize = 100_000;

/// The deepest the smallest-value maker goes for a recursive type.
const MAX_SAMPLE_DEPTH: usize = 64;

/// The schema of `T` as codecs of `layout` see it, or why it cannot be
/// described: `T` asks for a self-describing format (`deserialize_any`:
/// untagged or internally tagged enums, `flatten`, `serde_json::Value`),
/// refuses every small value the tracer offers (a validated newtype), or
/// is too large.
pub fn trace_type<T: Deserialize<'static>>(layout: Layout) -> Result<Schema, String> {
    let mut state = State::new(layout);
    let mut root = Format::Unknown;
    T::deserialize(Tracer::new(&mut state, &mut root)).map_err(|err| {
        format!(
            "`{}` cannot be traced: {}",
            core::any::type_name::<T>(),
            err.0
        )
    })?;
    for _ in 1..MAX_RUNS {
        let Some(experiment) = state.next_experiment() else {
            break;
        };
        state.begin_run(experiment);
        let mut ignored = Format::Unknown;
        let outcome = T::deserialize(Tracer::new(&mut state, &mut ignored)).is_ok();
        state.end_run(outcome);
    }
    Ok(state.finish(root))
}

#[derive(Debug)]
struct TraceError(String);

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl de::StdError for TraceError {}

impl de::Error for TraceError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        TraceError(message.to_string())
    }
}

/// What one run tries beyond the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Experiment {
    /// Make variant `1` of enum `0`.
    Variant(&'static str, usize),
    /// Leave field `1` of struct `0` out.
    Omit(&'static str, usize),
    /// Give struct `0` a field it does not know.
    Unknown(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StructKind {
    Unit,
    Newtype,
    Tuple(usize),
    Fields(&'static [&'static str]),
}

struct StructTrace {
    kind: StructKind,
    formats: Vec<Format>,
    /// Positions seen with two different formats: kept unknown.
    conflicted: Vec<bool>,
    /// Per named field: accepted missing, once known.
    optional: Vec<Option<bool>>,
    /// Refuses unknown fields, once known.
    closed: Option<bool>,
}

#[derive(Clone)]
enum VariantTrace {
    Untried,
    Done(Shape),
    Failed,
}

struct EnumTrace {
    names: &'static [&'static str],
    variants: Vec<VariantTrace>,
}

struct State {
    layout: Layout,
    structs: BTreeMap<&'static str, StructTrace>,
    enums: BTreeMap<&'static str, EnumTrace>,
    /// The containers being traced, outermost first.
    stack: Vec<&'static str>,
    /// The enum variants being made, in either mode.
    making: Vec<(&'static str, usize)>,
    experiment: Option<Experiment>,
    experiment_ran: bool,
    nodes: usize,
    sample_depth: usize,
}

impl State {
    fn new(layout: Layout) -> State {
        State {
            layout,
            structs: BTreeMap::new(),
            enums: BTreeMap::new(),
            stack: Vec::new(),
            making: Vec::new(),
            experiment: None,
            experiment_ran: false,
            nodes: 0,
            sample_depth: 0,
        }
    }

    fn next_experiment(&mut self) -> Option<Experiment> {
        for (name, trace) in &self.enums {
            if let Some(i) = trace
                .variants
                .iter()
                .position(|variant| matches!(variant, VariantTrace::Untried))
            {
                return Some(Experiment::Variant(name, i));
            }
        }
        if !self.layout.named_fields {
            return None;
        }
        for (name, trace) in &mut self.structs {
            for (k, optional) in trace.optional.iter_mut().enumerate() {
                if optional.is_none() {
                    if matches!(trace.formats[k], Format::Option(_)) {
                        *optional = Some(true);
                    } else {
                        return Some(Experiment::Omit(name, k));
                    }
                }
            }
            if matches!(trace.kind, StructKind::Fields(_)) && trace.closed.is_none() {
                return Some(Experiment::Unknown(name));
            }
        }
        None
    }

    fn begin_run(&mut self, experiment: Experiment) {
        self.experiment = Some(experiment);
        self.experiment_ran = false;
        self.nodes = 0;
        self.sample_depth = 0;
        self.stack.clear();
        self.making.clear();
    }

    /// Learns the experiment's answer; one that did not run (the run
    /// failed before it got there) counts as a no.
    fn end_run(&mut self, succeeded: bool) {
        let answer = succeeded && self.experiment_ran;
        match self.experiment.take() {
            Some(Experiment::Variant(name, i)) => {
                let variant = &mut self.enums.get_mut(name).expect("traced").variants[i];
                if matches!(variant, VariantTrace::Untried) {
                    *variant = VariantTrace::Failed;
                }
            }
            Some(Experiment::Omit(name, k)) => {
                self.structs.get_mut(name).expect("traced").optional[k] = Some(answer);
            }
            Some(Experiment::Unknown(name)) => {
                self.structs.get_mut(name).expect("traced").closed = Some(!answer);
            }
            None => {}
        }
    }

    /// Whether this run's experiment is `experiment`, which then counts as
    /// run.
    fn runs(&mut self, experiment: Experiment) -> bool {
        if self.experiment == Some(experiment) && !self.experiment_ran {
            self.experiment_ran = true;
            return true;
        }
        false
    }

    fn count_node(&mut self) -> Result<(), TraceError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(TraceError(format!(
                "it has more than {MAX_NODES} parts to describe"
            )));
        }
        Ok(())
    }

    /// The struct entry for `name`, made on first sight. A second struct
    /// of the same name and another kind (two crates' `Error`) is refused.
    fn struct_entry(
        &mut self,
        name: &'static str,
        kind: StructKind,
    ) -> Result<&mut StructTrace, TraceError> {
        let len = match kind {
            StructKind::Unit => 0,
            StructKind::Newtype => 1,
            StructKind::Tuple(len) => len,
            StructKind::Fields(fields) => fields.len(),
        };
        let entry = self.structs.entry(name).or_insert_with(|| StructTrace {
            kind,
            formats: vec![Format::Unknown; len],
            conflicted: vec![false; len],
            optional: match kind {
                StructKind::Fields(_) => vec![None; len],
                _ => Vec::new(),
            },
            closed: None,
        });
        if entry.kind != kind {
            return Err(TraceError(format!(
                "two different types are both called `{name}`"
            )));
        }
        Ok(entry)
    }

    fn record_struct(&mut self, name: &'static str, formats: Vec<Format>) {
        let entry = self.structs.get_mut(name).expect("made before");
        for (k, format) in formats.into_iter().enumerate() {
            if entry.conflicted[k] {
                continue;
            }
            if entry.formats[k].conflicts_with(&format) {
                entry.conflicted[k] = true;
                entry.formats[k] = Format::Unknown;
            } else {
                let old = core::mem::replace(&mut entry.formats[k], Format::Unknown);
                entry.formats[k] = old.merge(format);
            }
        }
    }

    fn enum_entry(
        &mut self,
        name: &'static str,
        names: &'static [&'static str],
    ) -> Result<&mut EnumTrace, TraceError> {
        let entry = self.enums.entry(name).or_insert_with(|| EnumTrace {
            names,
            variants: vec![VariantTrace::Untried; names.len()],
        });
        if entry.names != names {
            return Err(TraceError(format!(
                "two different enums are both called `{name}`"
            )));
        }
        Ok(entry)
    }

    /// Which variant of `name` to make. Tracing, this run's experiment or,
    /// for an enum never made, its first variant; otherwise (and always
    /// for the smallest value) a variant known to finish, preferring one
    /// without fields, and never one being made further out.
    fn choose_variant(&mut self, name: &'static str, tracing: bool) -> usize {
        let count = self.enums[name].variants.len();
        if tracing {
            for i in 0..count {
                if self.runs(Experiment::Variant(name, i)) {
                    return i;
                }
            }
        }
        let entry = &self.enums[name];
        let free = |i: &usize| !self.making.contains(&(name, *i));
        let done = |i: &usize| matches!(entry.variants[*i], VariantTrace::Done(_));
        let unit = |i: &usize| matches!(entry.variants[*i], VariantTrace::Done(Shape::Unit));
        let untried = |i: &usize| matches!(entry.variants[*i], VariantTrace::Untried);
        (0..count)
            .find(unit)
            .or_else(|| (0..count).filter(free).find(done))
            .or_else(|| (0..count).filter(free).find(untried))
            .or_else(|| (0..count).find(free))
            .unwrap_or(0)
    }

    fn finish(self, root: Format) -> Schema {
        let mut containers = BTreeMap::new();
        for (name, trace) in self.structs {
            let mut formats = trace.formats.into_iter();
            let shape = match trace.kind {
                StructKind::Unit => Shape::Unit,
                StructKind::Newtype => Shape::Newtype(formats.next().unwrap_or(Format::Unknown)),
                StructKind::Tuple(_) => Shape::Tuple(formats.collect()),
                StructKind::Fields(names) => Shape::Struct {
                    fields: names
                        .iter()
                        .zip(formats)
                        .zip(trace.optional)
                        .map(|((name, format), optional)| Field {
                            name: (*name).to_string(),
                            optional: optional.unwrap_or(matches!(format, Format::Option(_))),
                            format,
                        })
                        .collect(),
                    closed: trace.closed.unwrap_or(true),
                },
            };
            containers.insert(name.to_string(), Container::Struct(shape));
        }
        for (name, trace) in self.enums {
            let variants = trace
                .names
                .iter()
                .zip(trace.variants)
                .map(|(variant, traced)| Variant {
                    name: (*variant).to_string(),
                    shape: match traced {
                        VariantTrace::Done(shape) => Some(shape),
                        _ => None,
                    },
                })
                .collect();
            containers.insert(name.to_string(), Container::Enum(variants));
        }
        Schema { root, containers }
    }
}

/// The deserializer of one value. `tracing` is false while it makes the
/// smallest value of a container met inside itself: then nothing is
/// written down.
struct Tracer<'s> {
    state: &'s mut State,
    out: &'s mut Format,
    tracing: bool,
}

impl<'s> Tracer<'s> {
    fn new(state: &'s mut State, out: &'s mut Format) -> Tracer<'s> {
        Tracer {
            state,
            out,
            tracing: true,
        }
    }

    fn set(&mut self, format: Format) {
        if self.tracing {
            *self.out = format;
        }
    }

    /// Whether to trace container `name` here: tracing and not inside
    /// itself. Inside itself its place gets its name and the value is the
    /// smallest one.
    fn enter(&mut self, name: &'static str) -> Result<bool, TraceError> {
        self.state.count_node()?;
        if !self.tracing {
            if self.state.sample_depth == MAX_SAMPLE_DEPTH {
                return Err(TraceError(format!(
                    "`{name}` is recursive and no value of it without itself was found"
                )));
            }
            return Ok(false);
        }
        self.set(Format::Named(name.to_string()));
        Ok(!self.state.stack.contains(&name))
    }

    /// Runs `make` with this container entered: traced (pushed on the
    /// stack) or sampled (one level deeper).
    fn inside<T>(
        state: &mut State,
        name: &'static str,
        trace: bool,
        make: impl FnOnce(&mut State) -> T,
    ) -> T {
        if trace {
            state.stack.push(name);
        } else {
            state.sample_depth += 1;
        }
        let result = make(state);
        if trace {
            state.stack.pop();
        } else {
            state.sample_depth -= 1;
        }
        result
    }
}

macro_rules! primitive {
    ($($method:ident $format:ident $visit:ident $value:expr;)*) => {
        $(
            fn $method<V: Visitor<'static>>(mut self, visitor: V) -> Result<V::Value, TraceError> {
                self.state.count_node()?;
                self.set(Format::$format);
                visitor.$visit($value)
            }
        )*
    };
}

impl<'s> de::Deserializer<'static> for Tracer<'s> {
    type Error = TraceError;

    fn deserialize_any<V: Visitor<'static>>(self, _: V) -> Result<V::Value, TraceError> {
        Err(TraceError(
            "it asks for a self-describing format (`deserialize_any`: an untagged or \
             internally tagged enum, `flatten`, or a dynamic value)"
                .to_string(),
        ))
    }

    primitive! {
        deserialize_bool Bool visit_bool false;
        deserialize_i8 I8 visit_i8 1;
        deserialize_i16 I16 visit_i16 1;
        deserialize_i32 I32 visit_i32 1;
        deserialize_i64 I64 visit_i64 1;
        deserialize_i128 I128 visit_i128 1;
        deserialize_u8 U8 visit_u8 1;
        deserialize_u16 U16 visit_u16 1;
        deserialize_u32 U32 visit_u32 1;
        deserialize_u64 U64 visit_u64 1;
        deserialize_u128 U128 visit_u128 1;
        deserialize_f32 F32 visit_f32 1.0;
        deserialize_f64 F64 visit_f64 1.0;
        deserialize_char Char visit_char 'a';
        deserialize_str Str visit_borrowed_str "a";
        deserialize_string Str visit_borrowed_str "a";
        deserialize_identifier Str visit_borrowed_str "a";
        deserialize_bytes Bytes visit_borrowed_bytes b"";
        deserialize_byte_buf Bytes visit_borrowed_bytes b"";
    }

    fn deserialize_unit<V: Visitor<'static>>(mut self, visitor: V) -> Result<V::Value, TraceError> {
        self.state.count_node()?;
        self.set(Format::Unit);
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'static>>(
        self,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'static>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.state.count_node()?;
        if !self.tracing {
            return visitor.visit_none();
        }
        let mut inner = Format::Unknown;
        let result = visitor.visit_some(Tracer::new(self.state, &mut inner));
        *self.out = Format::Option(Box::new(inner));
        result
    }

    fn deserialize_seq<V: Visitor<'static>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.state.count_node()?;
        if !self.tracing {
            return visitor.visit_seq(Elements::new(&mut *self.state, 0, false));
        }
        let mut elements = Elements::new(&mut *self.state, 1, true);
        let result = visitor.visit_seq(&mut elements);
        let element = elements.outs.pop().unwrap_or(Format::Unknown);
        *self.out = Format::Seq(Box::new(element));
        result
    }

    fn deserialize_tuple<V: Visitor<'static>>(
        mut self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        self.state.count_node()?;
        let mut elements = Elements::new(&mut *self.state, len, self.tracing);
        let result = visitor.visit_seq(&mut elements);
        let formats = core::mem::take(&mut elements.outs);
        self.set(Format::Tuple(formats));
        result
    }

    fn deserialize_map<V: Visitor<'static>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.state.count_node()?;
        if !self.tracing {
            return visitor.visit_map(Entries::empty(&mut *self.state));
        }
        let mut entries = Entries::one(&mut *self.state);
        let result = visitor.visit_map(&mut entries);
        let [key, value] = core::mem::take(&mut entries.outs);
        *self.out = Format::Map(Box::new(key), Box::new(value));
        result
    }

    fn deserialize_unit_struct<V: Visitor<'static>>(
        mut self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        if self.enter(name)? {
            self.state.struct_entry(name, StructKind::Unit)?;
        }
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'static>>(
        mut self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let trace = self.enter(name)?;
        if trace {
            self.state.struct_entry(name, StructKind::Newtype)?;
        }
        Tracer::inside(self.state, name, trace, |state| {
            let mut inner = Format::Unknown;
            let result = visitor.visit_newtype_struct(Tracer {
                state: &mut *state,
                out: &mut inner,
                tracing: trace,
            });
            if trace {
                state.record_struct(name, vec![inner]);
            }
            result
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'static>>(
        mut self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let trace = self.enter(name)?;
        if trace {
            self.state.struct_entry(name, StructKind::Tuple(len))?;
        }
        Tracer::inside(self.state, name, trace, |state| {
            let mut elements = Elements::new(state, len, trace);
            let result = visitor.visit_seq(&mut elements);
            let formats = core::mem::take(&mut elements.outs);
            if trace {
                state.record_struct(name, formats);
            }
            result
        })
    }

    fn deserialize_struct<V: Visitor<'static>>(
        mut self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let trace = self.enter(name)?;
        if trace {
            self.state.struct_entry(name, StructKind::Fields(fields))?;
        }
        Tracer::inside(self.state, name, trace, |state| {
            let omit = match trace {
                true => (0..fields.len()).find(|&k| state.runs(Experiment::Omit(name, k))),
                false => None,
            };
            let unknown = trace && state.runs(Experiment::Unknown(name));
            let mut entries = Fields {
                state: &mut *state,
                fields,
                next: 0,
                omit,
                unknown,
                outs: vec![Format::Unknown; fields.len()],
                value: None,
                tracing: trace,
            };
            let result = visitor.visit_map(&mut entries);
            let formats = core::mem::take(&mut entries.outs);
            if trace {
                state.record_struct(name, formats);
            }
            result
        })
    }

    fn deserialize_enum<V: Visitor<'static>>(
        mut self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let trace = self.enter(name)?;
        self.state.enum_entry(name, variants)?;
        if variants.is_empty() {
            return Err(TraceError(format!("enum `{name}` has no variants")));
        }
        let index = self.state.choose_variant(name, trace);
        Tracer::inside(self.state, name, trace, |state| {
            state.making.push((name, index));
            let mut shape = None;
            let result = visitor.visit_enum(Choice {
                state: &mut *state,
                name: variants[index],
                shape: &mut shape,
                tracing: trace,
            });
            state.making.pop();
            if let (true, Ok(_), Some(shape)) = (trace, &result, shape) {
                state.enums.get_mut(name).expect("made before").variants[index] =
                    VariantTrace::Done(shape);
            }
            result
        })
    }

    fn is_human_readable(&self) -> bool {
        self.state.layout.human_readable
    }
}

/// The elements of a sequence or tuple: `len` values, each traced into
/// its own format.
struct Elements<'s> {
    state: &'s mut State,
    outs: Vec<Format>,
    next: usize,
    len: usize,
    tracing: bool,
}

impl<'s> Elements<'s> {
    fn new(state: &'s mut State, len: usize, tracing: bool) -> Elements<'s> {
        Elements {
            state,
            outs: vec![Format::Unknown; len],
            next: 0,
            len,
            tracing,
        }
    }
}

impl<'s> de::SeqAccess<'static> for Elements<'s> {
    type Error = TraceError;

    fn next_element_seed<T: DeserializeSeed<'static>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TraceError> {
        if self.next == self.len {
            return Ok(None);
        }
        let i = self.next;
        self.next += 1;
        seed.deserialize(Tracer {
            state: &mut *self.state,
            out: &mut self.outs[i],
            tracing: self.tracing,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.next)
    }
}

/// A map of at most one entry.
struct Entries<'s> {
    state: &'s mut State,
    outs: [Format; 2],
    left: bool,
}

impl<'s> Entries<'s> {
    fn one(state: &'s mut State) -> Entries<'s> {
        Entries {
            state,
            outs: [Format::Unknown, Format::Unknown],
            left: true,
        }
    }

    fn empty(state: &'s mut State) -> Entries<'s> {
        Entries {
            left: false,
            ..Entries::one(state)
        }
    }
}

impl<'s> de::MapAccess<'static> for Entries<'s> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'static>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        if !self.left {
            return Ok(None);
        }
        self.left = false;
        let [key, _] = &mut self.outs;
        seed.deserialize(Tracer::new(&mut *self.state, key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'static>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, TraceError> {
        let [_, value] = &mut self.outs;
        seed.deserialize(Tracer::new(&mut *self.state, value))
    }
}

/// The name of the field a struct is offered to learn whether it refuses
/// fields it does not know.
const UNKNOWN_FIELD: &str = "\u{0}wasmer-plugin unknown field";

/// A struct's fields, as a map from their names, without `omit` and, when
/// `unknown`, with one more field no struct has.
struct Fields<'s> {
    state: &'s mut State,
    fields: &'static [&'static str],
    next: usize,
    omit: Option<usize>,
    unknown: bool,
    outs: Vec<Format>,
    /// The field whose value comes next: `None` for the unknown one.
    value: Option<usize>,
    tracing: bool,
}

impl<'s> de::MapAccess<'static> for Fields<'s> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'static>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        if self.omit == Some(self.next) {
            self.next += 1;
        }
        if self.next < self.fields.len() {
            let k = self.next;
            self.next += 1;
            self.value = Some(k);
            return seed
                .deserialize(self.fields[k].into_deserializer())
                .map(Some);
        }
        if self.unknown {
            self.unknown = false;
            self.value = None;
            return seed
                .deserialize(UNKNOWN_FIELD.into_deserializer())
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'static>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, TraceError> {
        let mut ignored = Format::Unknown;
        let out = match self.value {
            Some(k) => &mut self.outs[k],
            None => &mut ignored,
        };
        seed.deserialize(Tracer {
            state: &mut *self.state,
            out,
            tracing: self.tracing,
        })
    }
}

/// The variant the tracer chose, and what it holds.
struct Choice<'s> {
    state: &'s mut State,
    name: &'static str,
    shape: &'s mut Option<Shape>,
    tracing: bool,
}

impl<'s> de::EnumAccess<'static> for Choice<'s> {
    type Error = TraceError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'static>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), TraceError> {
        let deserializer: de::value::BorrowedStrDeserializer<'static, TraceError> =
            de::value::BorrowedStrDeserializer::new(self.name);
        let value = seed.deserialize(deserializer)?;
        Ok((value, self))
    }
}

impl<'s> de::VariantAccess<'static> for Choice<'s> {
    type Error = TraceError;

    fn unit_variant(self) -> Result<(), TraceError> {
        *self.shape = Some(Shape::Unit);
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'static>>(
        self,
        seed: T,
    ) -> Result<T::Value, TraceError> {
        let mut inner = Format::Unknown;
        let result = seed.deserialize(Tracer {
            state: self.state,
            out: &mut inner,
            tracing: self.tracing,
        });
        *self.shape = Some(Shape::Newtype(inner));
        result
    }

    fn tuple_variant<V: Visitor<'static>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let mut elements = Elements::new(self.state, len, self.tracing);
        let result = visitor.visit_seq(&mut elements);
        *self.shape = Some(Shape::Tuple(core::mem::take(&mut elements.outs)));
        result
    }

    fn struct_variant<V: Visitor<'static>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        let mut entries = Fields {
            state: self.state,
            fields,
            next: 0,
            omit: None,
            unknown: false,
            outs: vec![Format::Unknown; fields.len()],
            value: None,
            tracing: self.tracing,
        };
        let result = visitor.visit_map(&mut entries);
        let formats = core::mem::take(&mut entries.outs);
        *self.shape = Some(Shape::Struct {
            fields: fields
                .iter()
                .zip(formats)
                .map(|(name, format)| Field {
                    name: (*name).to_string(),
                    optional: matches!(format, Format::Option(_)),
                    format,
                })
                .collect(),
            closed: true,
        });
        result
    }
}
