//! Formats written as the Rust types they describe, for messages and
//! `wasmer-plugin inspect`.

use core::fmt;

use super::model::{Container, Format, Schema, Shape};

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Format::Unit => "()",
            Format::Bool => "bool",
            Format::I8 => "i8",
            Format::I16 => "i16",
            Format::I32 => "i32",
            Format::I64 => "i64",
            Format::I128 => "i128",
            Format::U8 => "u8",
            Format::U16 => "u16",
            Format::U32 => "u32",
            Format::U64 => "u64",
            Format::U128 => "u128",
            Format::F32 => "f32",
            Format::F64 => "f64",
            Format::Char => "char",
            Format::Str => "String",
            Format::Bytes => "bytes",
            Format::Unknown => "_",
            Format::Option(inner) => return write!(f, "Option<{inner}>"),
            Format::Seq(inner) => return write!(f, "Vec<{inner}>"),
            Format::Map(key, value) => return write!(f, "Map<{key}, {value}>"),
            Format::Named(name) => return f.write_str(name),
            Format::Tuple(formats) => {
                f.write_str("(")?;
                for (i, format) in formats.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{format}")?;
                }
                if formats.len() == 1 {
                    f.write_str(",")?;
                }
                return f.write_str(")");
            }
        };
        f.write_str(name)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Unit => Ok(()),
            Shape::Newtype(format) => write!(f, "({format})"),
            Shape::Tuple(formats) => {
                f.write_str("(")?;
                for (i, format) in formats.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{format}")?;
                }
                f.write_str(")")
            }
            Shape::Struct { fields, .. } => {
                f.write_str(" { ")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", field.name, field.format)?;
                    if field.optional && !matches!(field.format, Format::Option(_)) {
                        f.write_str(" = default")?;
                    }
                }
                f.write_str(" }")
            }
        }
    }
}

/// The root, then each container on a line of its own:
/// `Point` / `struct Point { x: i32, y: i32 }`.
impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)?;
        for (name, container) in &self.containers {
            match container {
                Container::Struct(shape) => match shape {
                    Shape::Struct { .. } => write!(f, "\n  struct {name}{shape}")?,
                    _ => write!(f, "\n  struct {name}{shape};")?,
                },
                Container::Enum(variants) => {
                    write!(f, "\n  enum {name} {{ ")?;
                    for (i, variant) in variants.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        f.write_str(&variant.name)?;
                        match &variant.shape {
                            Some(shape) => write!(f, "{shape}")?,
                            None => f.write_str(" (not traced)")?,
                        }
                    }
                    f.write_str(" }")?;
                }
            }
        }
        Ok(())
    }
}
