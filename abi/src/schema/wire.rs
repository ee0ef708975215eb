//! The bytes of a [`FunctionSchema`], as a plugin's schema export returns
//! them (`docs/ABI.md`, "Schemas"): one byte tags, `u32 LE` counts and
//! lengths, UTF-8 names. Reading is linear in the length, bounded in
//! depth, and allocates no more than the bytes could describe.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::model::{Container, Field, Format, FunctionSchema, Schema, Shape, Variant};

/// The most bytes a function's schema may take: 1 MiB.
pub const MAX_SCHEMA_BYTES: usize = 1 << 20;

/// The deepest nesting of formats a schema may hold (a container's name
/// ends a level: recursion goes through the containers).
pub const MAX_SCHEMA_DEPTH: usize = 128;

/// Why schema bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The bytes end inside an item.
    Truncated {
        /// Byte offset of the item.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A tag this version does not define.
    UnknownTag {
        /// Byte offset of the tag.
        offset: usize,
        /// What it tags.
        what: &'static str,
        /// Its value.
        tag: u8,
    },
    /// A name is not UTF-8.
    NotUtf8 {
        /// Byte offset of the name.
        offset: usize,
    },
    /// Formats nest deeper than [`MAX_SCHEMA_DEPTH`].
    TooDeep,
    /// Over [`MAX_SCHEMA_BYTES`].
    TooLarge {
        /// The length.
        len: usize,
    },
    /// Bytes are left after the schema.
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A container is described twice.
    DuplicateContainer {
        /// Its name.
        name: String,
    },
    /// A format names a container the schema does not describe.
    UndescribedContainer {
        /// Its name.
        name: String,
    },
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::Truncated { offset, what } => {
                write!(f, "the schema ends at byte {offset}, inside a {what}")
            }
            SchemaError::UnknownTag { offset, what, tag } => {
                write!(f, "byte {offset} of the schema is {tag}, not a {what} tag")
            }
            SchemaError::NotUtf8 { offset } => {
                write!(f, "the name at byte {offset} of the schema is not UTF-8")
            }
            SchemaError::TooDeep => write!(
                f,
                "the schema nests formats deeper than {MAX_SCHEMA_DEPTH} levels"
            ),
            SchemaError::TooLarge { len } => write!(
                f,
                "the schema is {len} bytes, over the {MAX_SCHEMA_BYTES}-byte limit"
            ),
            SchemaError::TrailingBytes { extra } => {
                write!(f, "{extra} bytes follow the schema")
            }
            SchemaError::DuplicateContainer { name } => {
                write!(f, "the schema describes `{name}` twice")
            }
            SchemaError::UndescribedContainer { name } => {
                write!(f, "the schema refers to `{name}` without describing it")
            }
        }
    }
}

impl core::error::Error for SchemaError {}

const SCHEMA: u8 = 0;
const REASON: u8 = 1;

impl FunctionSchema {
    /// The bytes a schema export returns.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for side in [&self.args, &self.ret] {
            match side {
                Ok(schema) => {
                    out.push(SCHEMA);
                    write_schema(&mut out, schema);
                }
                Err(reason) => {
                    out.push(REASON);
                    write_str(&mut out, reason);
                }
            }
        }
        out
    }

    /// Reads the bytes [`to_bytes`](FunctionSchema::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<FunctionSchema, SchemaError> {
        if bytes.len() > MAX_SCHEMA_BYTES {
            return Err(SchemaError::TooLarge { len: bytes.len() });
        }
        let mut reader = Reader { bytes, at: 0 };
        let args = reader.side()?;
        let ret = reader.side()?;
        if reader.at != bytes.len() {
            return Err(SchemaError::TrailingBytes {
                extra: bytes.len() - reader.at,
            });
        }
        Ok(FunctionSchema { args, ret })
    }
}

impl Schema {
    /// The bytes of this schema alone, as inside a [`FunctionSchema`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_schema(&mut out, self);
        out
    }
}

fn write_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&(value as u32).to_le_bytes());
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    write_u32(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

fn write_schema(out: &mut Vec<u8>, schema: &Schema) {
    write_format(out, &schema.root);
    write_u32(out, schema.containers.len());
    for (name, container) in &schema.containers {
        write_str(out, name);
        match container {
            Container::Struct(shape) => {
                out.push(0);
                write_shape(out, shape);
            }
            Container::Enum(variants) => {
                out.push(1);
                write_u32(out, variants.len());
                for variant in variants {
                    write_str(out, &variant.name);
                    match &variant.shape {
                        None => out.push(0),
                        Some(shape) => {
                            out.push(1);
                            write_shape(out, shape);
                        }
                    }
                }
            }
        }
    }
}

fn write_shape(out: &mut Vec<u8>, shape: &Shape) {
    match shape {
        Shape::Unit => out.push(0),
        Shape::Newtype(format) => {
            out.push(1);
            write_format(out, format);
        }
        Shape::Tuple(formats) => {
            out.push(2);
            write_u32(out, formats.len());
            formats.iter().for_each(|format| write_format(out, format));
        }
        Shape::Struct { fields, closed } => {
            out.push(3);
            out.push(*closed as u8);
            write_u32(out, fields.len());
            for field in fields {
                write_str(out, &field.name);
                out.push(field.optional as u8);
                write_format(out, &field.format);
            }
        }
    }
}

/// The tag of each format without contents, in tag order from 0.
const SIMPLE: [Format; 17] = [
    Format::Unit,
    Format::Bool,
    Format::I8,
    Format::I16,
    Format::I32,
    Format::I64,
    Format::I128,
    Format::U8,
    Format::U16,
    Format::U32,
    Format::U64,
    Format::U128,
    Format::F32,
    Format::F64,
    Format::Char,
    Format::Str,
    Format::Bytes,
];
const OPTION: u8 = 17;
const SEQ: u8 = 18;
const MAP: u8 = 19;
const TUPLE: u8 = 20;
const NAMED: u8 = 21;
const UNKNOWN: u8 = 22;

fn write_format(out: &mut Vec<u8>, format: &Format) {
    match format {
        Format::Option(inner) => {
            out.push(OPTION);
            write_format(out, inner);
        }
        Format::Seq(inner) => {
            out.push(SEQ);
            write_format(out, inner);
        }
        Format::Map(key, value) => {
            out.push(MAP);
            write_format(out, key);
            write_format(out, value);
        }
        Format::Tuple(formats) => {
            out.push(TUPLE);
            write_u32(out, formats.len());
            formats.iter().for_each(|format| write_format(out, format));
        }
        Format::Named(name) => {
            out.push(NAMED);
            write_str(out, name);
        }
        Format::Unknown => out.push(UNKNOWN),
        simple => {
            let tag = SIMPLE.iter().position(|known| known == simple);
            out.push(tag.expect("every other format is simple") as u8);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&[u8], SchemaError> {
        if self.bytes.len() - self.at < len {
            return Err(SchemaError::Truncated {
                offset: self.at,
                what,
            });
        }
        let taken = &self.bytes[self.at..self.at + len];
        self.at += len;
        Ok(taken)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, SchemaError> {
        Ok(self.take(1, what)?[0])
    }

    fn flag(&mut self, what: &'static str) -> Result<bool, SchemaError> {
        let offset = self.at;
        match self.byte(what)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(SchemaError::UnknownTag { offset, what, tag }),
        }
    }

    /// A count of items of at least one byte each: never more than the
    /// bytes left, so that a forged count allocates nothing.
    fn count(&mut self, what: &'static str) -> Result<usize, SchemaError> {
        let offset = self.at;
        let bytes = self.take(4, what)?;
        let count = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if count > self.bytes.len() - self.at {
            return Err(SchemaError::Truncated { offset, what });
        }
        Ok(count)
    }

    fn string(&mut self, what: &'static str) -> Result<String, SchemaError> {
        let offset = self.at;
        let len = self.count(what)?;
        let bytes = self.take(len, what)?;
        core::str::from_utf8(bytes)
            .map(ToString::to_string)
            .map_err(|_| SchemaError::NotUtf8 { offset })
    }

    fn side(&mut self) -> Result<Result<Schema, String>, SchemaError> {
        let offset = self.at;
        match self.byte("function schema side")? {
            SCHEMA => self.schema().map(Ok),
            REASON => self.string("reason").map(Err),
            tag => Err(SchemaError::UnknownTag {
                offset,
                what: "function schema side",
                tag,
            }),
        }
    }

    fn schema(&mut self) -> Result<Schema, SchemaError> {
        let mut names = Vec::new();
        let root = self.format(0, &mut names)?;
        let count = self.count("container count")?;
        let mut containers = BTreeMap::new();
        for _ in 0..count {
            let name = self.string("container name")?;
            let offset = self.at;
            let container = match self.byte("container")? {
                0 => Container::Struct(self.shape(&mut names)?),
                1 => {
                    let count = self.count("variant count")?;
                    let mut variants = Vec::with_capacity(count);
                    for _ in 0..count {
                        let name = self.string("variant name")?;
                        let shape = match self.flag("variant")? {
                            false => None,
                            true => Some(self.shape(&mut names)?),
                        };
                        variants.push(Variant { name, shape });
                    }
                    Container::Enum(variants)
                }
                tag => {
                    return Err(SchemaError::UnknownTag {
                        offset,
                        what: "container",
                        tag,
                    });
                }
            };
            if containers.contains_key(&name) {
                return Err(SchemaError::DuplicateContainer { name });
            }
            containers.insert(name, container);
        }
        if let Some(name) = names
            .into_iter()
            .find(|name| !containers.contains_key(name))
        {
            return Err(SchemaError::UndescribedContainer { name });
        }
        Ok(Schema { root, containers })
    }

    fn shape(&mut self, names: &mut Vec<String>) -> Result<Shape, SchemaError> {
        let offset = self.at;
        Ok(match self.byte("shape")? {
            0 => Shape::Unit,
            1 => Shape::Newtype(self.format(0, names)?),
            2 => Shape::Tuple(self.formats(0, names)?),
            3 => {
                let closed = self.flag("struct")?;
                let count = self.count("field count")?;
                let mut fields = Vec::with_capacity(count);
                for _ in 0..count {
                    let name = self.string("field name")?;
                    let optional = self.flag("field")?;
                    let format = self.format(0, names)?;
                    fields.push(Field {
                        name,
                        format,
                        optional,
                    });
                }
                Shape::Struct { fields, closed }
            }
            tag => {
                return Err(SchemaError::UnknownTag {
                    offset,
                    what: "shape",
                    tag,
                });
            }
        })
    }

    fn formats(
        &mut self,
        depth: usize,
        names: &mut Vec<String>,
    ) -> Result<Vec<Format>, SchemaError> {
        let count = self.count("tuple length")?;
        let mut formats = Vec::with_capacity(count);
        for _ in 0..count {
            formats.push(self.format(depth, names)?);
        }
        Ok(formats)
    }

    fn format(&mut self, depth: usize, names: &mut Vec<String>) -> Result<Format, SchemaError> {
        if depth == MAX_SCHEMA_DEPTH {
            return Err(SchemaError::TooDeep);
        }
        let offset = self.at;
        let tag = self.byte("format")?;
        let inner = |reader: &mut Self, names: &mut Vec<String>| {
            reader.format(depth + 1, names).map(Box::new)
        };
        Ok(match tag {
            OPTION => Format::Option(inner(self, names)?),
            SEQ => Format::Seq(inner(self, names)?),
            MAP => Format::Map(inner(self, names)?, inner(self, names)?),
            TUPLE => Format::Tuple(self.formats(depth + 1, names)?),
            NAMED => {
                let name = self.string("container name")?;
                names.push(name.clone());
                Format::Named(name)
            }
            UNKNOWN => Format::Unknown,
            tag => match SIMPLE.get(tag as usize) {
                Some(simple) => simple.clone(),
                None => {
                    return Err(SchemaError::UnknownTag {
                        offset,
                        what: "format",
                        tag,
                    });
                }
            },
        })
    }
}
