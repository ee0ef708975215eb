//! Describes a value by running its `Serialize` against a tracer: a
//! serializer that writes down the shape of what it is given and no bytes.
//! For the types a host only sends (`Serialize` without `Deserialize`),
//! which can be described only from a value.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::ser::{self, Serializer};

use super::model::{Container, Field, Format, Schema, Shape, Variant};
use crate::Layout;

/// The elements of a sequence or map traced; the rest are counted only,
/// so that tracing a large value costs little more than walking it.
const TRACED_ELEMENTS: usize = 16;

/// The deepest value traced, as deep as the codecs decode.
const MAX_DEPTH: usize = 256;

/// The schema of what `value` shows, as codecs of `layout` would write
/// it: the element of an empty sequence, the inside of `None` and the
/// variants it does not use stay unknown, and so unchecked.
pub fn trace_value<T: Serialize + ?Sized>(value: &T, layout: Layout) -> Result<Schema, String> {
    let mut state = State {
        layout,
        containers: BTreeMap::new(),
        depth: 0,
    };
    let root = value
        .serialize(Tracer { state: &mut state })
        .map_err(|err| {
            format!(
                "`{}` cannot be traced: {}",
                core::any::type_name::<T>(),
                err.0
            )
        })?;
    let containers = state
        .containers
        .into_iter()
        .map(|(name, traced)| (name.to_string(), traced.finish()))
        .collect();
    Ok(Schema { root, containers })
}

#[derive(Debug)]
struct TraceError(String);

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ser::StdError for TraceError {}

impl ser::Error for TraceError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        TraceError(message.to_string())
    }
}

/// A shape as values show it: named fields merged by name across values
/// (a value may skip some).
enum Traced {
    Unit,
    Newtype(Format),
    Tuple(Vec<Format>),
    Struct(Vec<(&'static str, Format)>),
}

impl Traced {
    fn merge(self, other: Traced) -> Result<Traced, ()> {
        Ok(match (self, other) {
            (Traced::Unit, Traced::Unit) => Traced::Unit,
            (Traced::Newtype(a), Traced::Newtype(b)) => Traced::Newtype(a.merge(b)),
            (Traced::Tuple(a), Traced::Tuple(b)) if a.len() == b.len() => {
                Traced::Tuple(a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect())
            }
            (Traced::Struct(mut a), Traced::Struct(b)) => {
                for (name, format) in b {
                    match a.iter_mut().find(|(known, _)| *known == name) {
                        Some((_, known)) => {
                            let old = core::mem::replace(known, Format::Unknown);
                            *known = old.merge(format);
                        }
                        None => a.push((name, format)),
                    }
                }
                Traced::Struct(a)
            }
            _ => return Err(()),
        })
    }

    fn finish(self) -> Shape {
        match self {
            Traced::Unit => Shape::Unit,
            Traced::Newtype(format) => Shape::Newtype(format),
            Traced::Tuple(formats) => Shape::Tuple(formats),
            Traced::Struct(fields) => Shape::Struct {
                fields: fields
                    .into_iter()
                    .map(|(name, format)| Field {
                        name: name.to_string(),
                        optional: matches!(format, Format::Option(_)),
                        format,
                    })
                    .collect(),
                closed: false,
            },
        }
    }
}

enum TracedContainer {
    Struct(Traced),
    /// Variants by index; an index no value used has no name.
    Enum(Vec<Option<(&'static str, Traced)>>),
}

impl TracedContainer {
    fn finish(self) -> Container {
        match self {
            TracedContainer::Struct(traced) => Container::Struct(traced.finish()),
            TracedContainer::Enum(variants) => Container::Enum(
                variants
                    .into_iter()
                    .map(|variant| match variant {
                        Some((name, traced)) => Variant {
                            name: name.to_string(),
                            shape: Some(traced.finish()),
                        },
                        None => Variant {
                            name: String::new(),
                            shape: None,
                        },
                    })
                    .collect(),
            ),
        }
    }
}

struct State {
    layout: Layout,
    containers: BTreeMap<&'static str, TracedContainer>,
    depth: usize,
}

impl State {
    fn record_struct(&mut self, name: &'static str, traced: Traced) -> Result<Format, TraceError> {
        let merged = match self.containers.remove(name) {
            None => traced,
            Some(TracedContainer::Struct(known)) => known.merge(traced).map_err(|()| {
                TraceError(format!("two different types are both called `{name}`"))
            })?,
            Some(TracedContainer::Enum(_)) => {
                return Err(TraceError(format!(
                    "a struct and an enum are both called `{name}`"
                )));
            }
        };
        self.containers
            .insert(name, TracedContainer::Struct(merged));
        Ok(Format::Named(name.to_string()))
    }

    fn record_variant(
        &mut self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        traced: Traced,
    ) -> Result<Format, TraceError> {
        let clash = || TraceError(format!("two different types are both called `{name}`"));
        let entry = self
            .containers
            .entry(name)
            .or_insert_with(|| TracedContainer::Enum(Vec::new()));
        let TracedContainer::Enum(variants) = entry else {
            return Err(clash());
        };
        let index = index as usize;
        if index >= 1 << 16 {
            return Err(TraceError(format!(
                "variant index {index} of `{name}` is too large"
            )));
        }
        if variants.len() <= index {
            variants.resize_with(index + 1, || None);
        }
        variants[index] = Some(match variants[index].take() {
            None => (variant, traced),
            Some((known, _)) if known != variant => return Err(clash()),
            Some((known, shape)) => (known, shape.merge(traced).map_err(|()| clash())?),
        });
        Ok(Format::Named(name.to_string()))
    }

    fn trace<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<Format, TraceError> {
        if self.depth == MAX_DEPTH {
            return Err(TraceError(format!(
                "it is nested deeper than {MAX_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let result = value.serialize(Tracer { state: &mut *self });
        self.depth -= 1;
        result
    }
}

struct Tracer<'s> {
    state: &'s mut State,
}

/// A compound value being traced: its formats so far.
struct Compound<'s> {
    state: &'s mut State,
    kind: CompoundKind,
    formats: Vec<Format>,
    fields: Vec<(&'static str, Format)>,
    /// Elements or entries seen, traced or not.
    seen: usize,
    key: Format,
    value: Format,
}

enum CompoundKind {
    Seq,
    Tuple,
    TupleStruct(&'static str),
    TupleVariant(&'static str, u32, &'static str),
    Map,
    Struct(&'static str),
    StructVariant(&'static str, u32, &'static str),
}

impl<'s> Compound<'s> {
    fn new(state: &'s mut State, kind: CompoundKind) -> Compound<'s> {
        Compound {
            state,
            kind,
            formats: Vec::new(),
            fields: Vec::new(),
            seen: 0,
            key: Format::Unknown,
            value: Format::Unknown,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        let merge = matches!(self.kind, CompoundKind::Seq);
        self.seen += 1;
        if merge && self.seen > TRACED_ELEMENTS {
            return Ok(());
        }
        let format = self.state.trace(value)?;
        if merge {
            let known = self.formats.pop().unwrap_or(Format::Unknown);
            self.formats.push(known.merge(format));
        } else {
            self.formats.push(format);
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), TraceError> {
        let format = self.state.trace(value)?;
        self.fields.push((name, format));
        Ok(())
    }

    fn end(self) -> Result<Format, TraceError> {
        let Compound {
            state,
            kind,
            mut formats,
            fields,
            key,
            value,
            ..
        } = self;
        match kind {
            CompoundKind::Seq => Ok(Format::Seq(Box::new(
                formats.pop().unwrap_or(Format::Unknown),
            ))),
            CompoundKind::Tuple => Ok(Format::Tuple(formats)),
            CompoundKind::Map => Ok(Format::Map(Box::new(key), Box::new(value))),
            CompoundKind::TupleStruct(name) => state.record_struct(name, Traced::Tuple(formats)),
            CompoundKind::Struct(name) => state.record_struct(name, Traced::Struct(fields)),
            CompoundKind::TupleVariant(name, index, variant) => {
                state.record_variant(name, index, variant, Traced::Tuple(formats))
            }
            CompoundKind::StructVariant(name, index, variant) => {
                state.record_variant(name, index, variant, Traced::Struct(fields))
            }
        }
    }
}

macro_rules! primitive {
    ($($method:ident $ty:ty => $format:ident;)*) => {
        $(
            fn $method(self, _: $ty) -> Result<Format, TraceError> {
                Ok(Format::$format)
            }
        )*
    };
}

impl<'s> Serializer for Tracer<'s> {
    type Ok = Format;
    type Error = TraceError;
    type SerializeSeq = Compound<'s>;
    type SerializeTuple = Compound<'s>;
    type SerializeTupleStruct = Compound<'s>;
    type SerializeTupleVariant = Compound<'s>;
    type SerializeMap = Compound<'s>;
    type SerializeStruct = Compound<'s>;
    type SerializeStructVariant = Compound<'s>;

    primitive! {
        serialize_bool bool => Bool;
        serialize_i8 i8 => I8;
        serialize_i16 i16 => I16;
        serialize_i32 i32 => I32;
        serialize_i64 i64 => I64;
        serialize_i128 i128 => I128;
        serialize_u8 u8 => U8;
        serialize_u16 u16 => U16;
        serialize_u32 u32 => U32;
        serialize_u64 u64 => U64;
        serialize_u128 u128 => U128;
        serialize_f32 f32 => F32;
        serialize_f64 f64 => F64;
        serialize_char char => Char;
        serialize_str &str => Str;
        serialize_bytes &[u8] => Bytes;
    }

    fn serialize_none(self) -> Result<Format, TraceError> {
        Ok(Format::Option(Box::new(Format::Unknown)))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Format, TraceError> {
        Ok(Format::Option(Box::new(self.state.trace(value)?)))
    }

    fn serialize_unit(self) -> Result<Format, TraceError> {
        Ok(Format::Unit)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Format, TraceError> {
        self.state.record_struct(name, Traced::Unit)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<Format, TraceError> {
        self.state
            .record_variant(name, index, variant, Traced::Unit)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Format, TraceError> {
        let inner = self.state.trace(value)?;
        self.state.record_struct(name, Traced::Newtype(inner))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Format, TraceError> {
        let inner = self.state.trace(value)?;
        self.state
            .record_variant(name, index, variant, Traced::Newtype(inner))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'s>, TraceError> {
        Ok(Compound::new(self.state, CompoundKind::Seq))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'s>, TraceError> {
        Ok(Compound::new(self.state, CompoundKind::Tuple))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'s>, TraceError> {
        Ok(Compound::new(self.state, CompoundKind::TupleStruct(name)))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s>, TraceError> {
        let kind = CompoundKind::TupleVariant(name, index, variant);
        Ok(Compound::new(self.state, kind))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'s>, TraceError> {
        Ok(Compound::new(self.state, CompoundKind::Map))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'s>, TraceError> {
        Ok(Compound::new(self.state, CompoundKind::Struct(name)))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s>, TraceError> {
        let kind = CompoundKind::StructVariant(name, index, variant);
        Ok(Compound::new(self.state, kind))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<Format, TraceError> {
        Ok(Format::Str)
    }

    fn is_human_readable(&self) -> bool {
        self.state.layout.human_readable
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        self.element(value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        self.element(value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        self.element(value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        self.element(value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), TraceError> {
        self.seen += 1;
        if self.seen <= TRACED_ELEMENTS {
            let format = self.state.trace(key)?;
            let known = core::mem::replace(&mut self.key, Format::Unknown);
            self.key = known.merge(format);
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TraceError> {
        if self.seen <= TRACED_ELEMENTS {
            let format = self.state.trace(value)?;
            let known = core::mem::replace(&mut self.value, Format::Unknown);
            self.value = known.merge(format);
        }
        Ok(())
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), TraceError> {
        self.field(name, value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = Format;
    type Error = TraceError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), TraceError> {
        self.field(name, value)
    }

    fn end(self) -> Result<Format, TraceError> {
        Compound::end(self)
    }
}
