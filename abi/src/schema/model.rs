//! The schema types.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// The shape of one value in serde's data model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `()`.
    Unit,
    /// `bool`.
    Bool,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `i128`.
    I128,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `u128`.
    U128,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `char`.
    Char,
    /// A string: `String`, `&str`, `Box<str>`…
    Str,
    /// serde's byte buffer (`&[u8]`, `serde_bytes`); every codec of this
    /// crate also moves `Vec<u8>` this way, so it matches `Seq(U8)`.
    Bytes,
    /// `Option<T>`.
    Option(Box<Format>),
    /// A sequence of any length: `Vec<T>`, `HashSet<T>`…
    Seq(Box<Format>),
    /// A map: `HashMap<K, V>`, `BTreeMap<K, V>`…
    Map(Box<Format>, Box<Format>),
    /// A tuple or an array of fixed length.
    Tuple(Vec<Format>),
    /// The struct or enum of this name, described in
    /// [`Schema::containers`].
    Named(String),
    /// Not known: what a traced value did not show (the element of an
    /// empty sequence, the inside of `None`).
    #[default]
    Unknown,
}

/// What a struct, or one variant of an enum, holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// Nothing: `struct S;`, `E::A`.
    Unit,
    /// One unnamed value: `struct S(T);`, `E::A(T)`.
    Newtype(Format),
    /// Unnamed values: `struct S(T, U);`, `E::A(T, U)`.
    Tuple(Vec<Format>),
    /// Named fields, in declaration order.
    Struct {
        /// The fields.
        fields: Vec<Field>,
        /// Whether a field the type does not know is an error when it is
        /// decoded from a format with named fields (serde's
        /// `deny_unknown_fields`); `true` when the tracer could not tell.
        closed: bool,
    },
}

/// One named field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    /// Its name as serde writes it (after `rename`).
    pub name: String,
    /// Its value.
    pub format: Format,
    /// Whether decoding accepts the field missing (an `Option`, or
    /// `#[serde(default)]`), in a format with named fields.
    pub optional: bool,
}

/// One variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    /// Its name as serde writes it.
    pub name: String,
    /// What it holds; `None` when it was not traced (a traced value shows
    /// only the variants it uses).
    pub shape: Option<Shape>,
}

/// A named container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Container {
    /// A struct.
    Struct(Shape),
    /// An enum; a variant's index is its position.
    Enum(Vec<Variant>),
}

/// The structural description of one type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    /// The type itself.
    pub root: Format,
    /// Every struct and enum the root refers to, by the name serde gives
    /// it.
    pub containers: BTreeMap<String, Container>,
}

/// The schemas of one plugin function (or host function): of its
/// arguments as they cross (the bare type for one argument, a tuple for
/// several, `()` for none) and of its return value. Each side is the
/// reason it could not be described when it could not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionSchema {
    /// The arguments.
    pub args: Result<Schema, String>,
    /// The return value.
    pub ret: Result<Schema, String>,
}

impl Schema {
    /// A schema of one format without containers.
    pub fn of(root: Format) -> Schema {
        Schema {
            root,
            containers: BTreeMap::new(),
        }
    }

    /// The container `name` refers to.
    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers.get(name)
    }
}

impl Format {
    /// The format both describe: where they differ (a generic container
    /// seen with two type arguments), [`Format::Unknown`], which a check
    /// skips.
    pub(crate) fn merge(self, other: Format) -> Format {
        match (self, other) {
            (Format::Unknown, known) | (known, Format::Unknown) => known,
            (Format::Option(a), Format::Option(b)) => Format::Option(Box::new(a.merge(*b))),
            (Format::Seq(a), Format::Seq(b)) => Format::Seq(Box::new(a.merge(*b))),
            (Format::Map(ka, va), Format::Map(kb, vb)) => {
                Format::Map(Box::new(ka.merge(*kb)), Box::new(va.merge(*vb)))
            }
            (Format::Tuple(a), Format::Tuple(b)) if a.len() == b.len() => {
                Format::Tuple(a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect())
            }
            (a, b) if a == b => a,
            _ => Format::Unknown,
        }
    }

    /// Whether `merge` would lose something of either.
    pub(crate) fn conflicts_with(&self, other: &Format) -> bool {
        match (self, other) {
            (Format::Unknown, _) | (_, Format::Unknown) => false,
            (Format::Option(a), Format::Option(b)) | (Format::Seq(a), Format::Seq(b)) => {
                a.conflicts_with(b)
            }
            (Format::Map(ka, va), Format::Map(kb, vb)) => {
                ka.conflicts_with(kb) || va.conflicts_with(vb)
            }
            (Format::Tuple(a), Format::Tuple(b)) if a.len() == b.len() => {
                a.iter().zip(b).any(|(a, b)| a.conflicts_with(b))
            }
            (a, b) => a != b,
        }
    }
}
