//! Whether bytes one side writes in a codec mean to the other side what
//! they meant to the writer: the host's schema against the plugin's,
//! under the rules of the codec's [`Layout`] (docs/ABI.md, "Compatible
//! types").
//!
//! The writer is the host for a plugin function's arguments and a host
//! function's reply, the plugin for a plugin function's return value and a
//! host function's arguments.
//! Positional layouts (bincode, postcard) accept only identical types,
//! field and variant names included; named layouts (MessagePack, JSON)
//! match fields by name, so fields may come in another order, the reader
//! may have fields the writer lacks if it can go without them (`Option`,
//! `#[serde(default)]`), and the writer fields the reader does not know
//! unless it denies unknown fields. In every layout the reader may have
//! variants the writer never sends. What a schema does not know
//! ([`Format::Unknown`], an untraced variant) is not checked.

use std::collections::HashSet;

use wasmer_plugin_abi::{Container, Field, Format, Layout, Schema, Shape};

/// Which way the bytes go, and what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// The host writes, the plugin reads: a plugin function's arguments.
    Arguments,
    /// The plugin writes, the host reads: a plugin function's return value.
    Return,
    /// The plugin writes, the host reads: a host function's arguments.
    HostArguments,
    /// The host writes, the plugin reads: a host function's reply.
    HostReply,
    /// One plugin function's return value read as the next one's
    /// arguments: the stages of a pipeline.
    Stage,
}

impl Direction {
    fn plugin_writes(self) -> bool {
        matches!(self, Direction::Return | Direction::HostArguments)
    }

    fn arguments(self) -> bool {
        matches!(
            self,
            Direction::Arguments | Direction::HostArguments | Direction::Stage
        )
    }
}

/// The first difference found: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub(crate) path: String,
    pub(crate) difference: String,
}

/// Checks that `reader` reads what `writer` writes.
pub(crate) fn check(
    writer: &Schema,
    reader: &Schema,
    layout: Layout,
    direction: Direction,
) -> Result<(), Mismatch> {
    let mut checker = Checker {
        writer,
        reader,
        layout,
        direction,
        assumed: HashSet::new(),
        root: match (direction, &reader.root) {
            (Direction::Return, _) => "return value".to_owned(),
            (Direction::HostReply, _) => "reply".to_owned(),
            (_, Format::Unit) => "arguments".to_owned(),
            (_, _) => "argument".to_owned(),
        },
        path: Vec::new(),
    };
    let result = match (&writer.root, &reader.root) {
        // Several arguments cross as a tuple: name them one by one.
        (Format::Tuple(w), Format::Tuple(r)) if direction.arguments() && w.len() == r.len() => {
            w.iter().zip(r).enumerate().try_for_each(|(i, (w, r))| {
                checker.root = format!("argument {}", i + 1);
                checker.format(w, r)
            })
        }
        _ => checker.format(&writer.root, &reader.root),
    };
    result.map_err(|difference| Mismatch {
        path: match checker.path.is_empty() {
            true => checker.root.clone(),
            false => format!("{} `{}`", checker.root, checker.path.concat()),
        },
        difference,
    })
}

struct Checker<'a> {
    writer: &'a Schema,
    reader: &'a Schema,
    layout: Layout,
    direction: Direction,
    /// Container pairs under comparison or compared: a recursive type
    /// meets itself again and is assumed to match there.
    assumed: HashSet<(&'a str, &'a str)>,
    root: String,
    /// Where the comparison is below the root; left at the difference.
    path: Vec<String>,
}

impl<'a> Checker<'a> {
    /// `writer`'s and `reader`'s descriptions as "the plugin has …, the
    /// host has …".
    fn differ(&self, writer: impl std::fmt::Display, reader: impl std::fmt::Display) -> String {
        if self.direction == Direction::Stage {
            return format!("the stage writing it has {writer}, the stage reading it has {reader}");
        }
        match self.direction.plugin_writes() {
            false => format!("the plugin has {reader}, the host has {writer}"),
            true => format!("the plugin has {writer}, the host has {reader}"),
        }
    }

    fn writer_name(&self) -> &'static str {
        if self.direction == Direction::Stage {
            return "stage writing it";
        }
        match self.direction.plugin_writes() {
            false => "host",
            true => "plugin",
        }
    }

    fn reader_name(&self) -> &'static str {
        if self.direction == Direction::Stage {
            return "stage reading it";
        }
        match self.direction.plugin_writes() {
            false => "plugin",
            true => "host",
        }
    }

    fn inside(
        &mut self,
        segment: String,
        check: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.path.push(segment);
        check(self)?;
        self.path.pop();
        Ok(())
    }

    fn format(&mut self, writer: &'a Format, reader: &'a Format) -> Result<(), String> {
        // An empty `Vec<u8>` traced from a value is a sequence of unknowns.
        let byte = |format: &Format| matches!(format, Format::Seq(inner) if matches!(**inner, Format::U8 | Format::Unknown));
        match (writer, reader) {
            (Format::Unknown, _) | (_, Format::Unknown) => Ok(()),
            // The codecs move both as the same bytes.
            (Format::Bytes, other) | (other, Format::Bytes) if byte(other) => Ok(()),
            (Format::Option(w), Format::Option(r)) => self.format(w, r),
            (Format::Seq(w), Format::Seq(r)) => self.inside("[]".into(), |c| c.format(w, r)),
            (Format::Map(wk, wv), Format::Map(rk, rv)) => {
                self.inside("{key}".into(), |c| c.format(wk, rk))?;
                self.inside("{value}".into(), |c| c.format(wv, rv))
            }
            (Format::Tuple(w), Format::Tuple(r)) => self.tuple(w, r),
            (Format::Named(w), Format::Named(r)) => self.containers(w, r),
            (w, r) if w == r => Ok(()),
            (w, r) => Err(self.differ(w, r)),
        }
    }

    fn tuple(&mut self, writer: &'a [Format], reader: &'a [Format]) -> Result<(), String> {
        if writer.len() != reader.len() {
            return Err(self.differ(
                count(writer.len(), "element"),
                count(reader.len(), "element"),
            ));
        }
        for (i, (w, r)) in writer.iter().zip(reader).enumerate() {
            self.inside(format!(".{i}"), |c| c.format(w, r))?;
        }
        Ok(())
    }

    fn containers(&mut self, writer: &'a str, reader: &'a str) -> Result<(), String> {
        if !self.assumed.insert((writer, reader)) {
            return Ok(());
        }
        let (Some(w), Some(r)) = (self.writer.container(writer), self.reader.container(reader))
        else {
            return Ok(());
        };
        match (w, r) {
            (Container::Struct(w), Container::Struct(r)) => self.shape(w, r),
            (Container::Enum(w), Container::Enum(r)) => self.variants(w, r),
            (Container::Struct(_), Container::Enum(_)) => Err(self.differ(
                format_args!("struct {writer}"),
                format_args!("enum {reader}"),
            )),
            (Container::Enum(_), Container::Struct(_)) => Err(self.differ(
                format_args!("enum {writer}"),
                format_args!("struct {reader}"),
            )),
        }
    }

    fn variants(
        &mut self,
        writer: &'a [wasmer_plugin_abi::Variant],
        reader: &'a [wasmer_plugin_abi::Variant],
    ) -> Result<(), String> {
        for (i, w) in writer.iter().enumerate() {
            // An index no traced value used.
            if w.name.is_empty() && w.shape.is_none() {
                continue;
            }
            let found = match self.layout.named_variants {
                true => reader.iter().find(|r| r.name == w.name),
                false => reader.get(i).filter(|r| r.name == w.name),
            };
            let Some(r) = found else {
                let (writer_side, reader_side) = (self.writer_name(), self.reader_name());
                return Err(match (self.layout.named_variants, reader.get(i)) {
                    (false, Some(other)) => format!(
                        "variant {i} is `{}` in the {writer_side} and `{}` in the {reader_side}",
                        w.name, other.name
                    ),
                    _ => format!(
                        "the {writer_side} has variant `{}`, which the {reader_side} does not",
                        w.name
                    ),
                });
            };
            if let (Some(ws), Some(rs)) = (&w.shape, &r.shape) {
                self.inside(format!("::{}", w.name), |c| c.shape(ws, rs))?;
            }
        }
        Ok(())
    }

    fn shape(&mut self, writer: &'a Shape, reader: &'a Shape) -> Result<(), String> {
        match (writer, reader) {
            (Shape::Unit, Shape::Unit) => Ok(()),
            (Shape::Newtype(w), Shape::Newtype(r)) => self.format(w, r),
            (Shape::Tuple(w), Shape::Tuple(r)) => self.tuple(w, r),
            (Shape::Struct { fields: w, .. }, Shape::Struct { fields: r, closed }) => {
                match self.layout.named_fields {
                    true => self.fields_by_name(w, r, *closed),
                    false => self.fields_in_order(w, r),
                }
            }
            (w, r) => Err(self.differ(shape_kind(w), shape_kind(r))),
        }
    }

    fn fields_in_order(&mut self, writer: &'a [Field], reader: &'a [Field]) -> Result<(), String> {
        if writer.len() != reader.len() {
            return Err(self.differ(count(writer.len(), "field"), count(reader.len(), "field")));
        }
        for (k, (w, r)) in writer.iter().zip(reader).enumerate() {
            if w.name != r.name {
                let (writer_side, reader_side) = (self.writer_name(), self.reader_name());
                return Err(format!(
                    "field {} is `{}` in the {writer_side} and `{}` in the {reader_side} (this codec writes fields by position)",
                    k + 1,
                    w.name,
                    r.name
                ));
            }
            self.inside(format!(".{}", w.name), |c| c.format(&w.format, &r.format))?;
        }
        Ok(())
    }

    fn fields_by_name(
        &mut self,
        writer: &'a [Field],
        reader: &'a [Field],
        closed: bool,
    ) -> Result<(), String> {
        let (writer_side, reader_side) = (self.writer_name(), self.reader_name());
        for r in reader {
            match writer.iter().find(|w| w.name == r.name) {
                Some(w) => {
                    self.inside(format!(".{}", r.name), |c| c.format(&w.format, &r.format))?
                }
                None if r.optional => {}
                None => {
                    return Err(format!(
                        "the {reader_side} requires field `{}`, which the {writer_side} does not have",
                        r.name
                    ));
                }
            }
        }
        if closed
            && let Some(w) = writer
                .iter()
                .find(|w| !reader.iter().any(|r| r.name == w.name))
        {
            return Err(format!(
                "the {writer_side} has field `{}`, which the {reader_side} refuses (it denies unknown fields)",
                w.name
            ));
        }
        Ok(())
    }
}

/// `1 field`, `3 fields`.
fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

fn shape_kind(shape: &Shape) -> String {
    match shape {
        Shape::Unit => "no fields".to_owned(),
        Shape::Newtype(format) => format!("one unnamed field ({format})"),
        Shape::Tuple(formats) => format!("{} unnamed fields", formats.len()),
        Shape::Struct { fields, .. } => format!("{} named fields", fields.len()),
    }
}
