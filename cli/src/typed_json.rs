//! JSON values encoded and decoded in any codec by following a schema:
//! what lets `wasmer-plugin call` build the arguments of a bincode or
//! postcard function, whose bytes name no field and no type, and print
//! its answer.
//!
//! Values take serde_json's shapes: a struct is an object, a tuple an
//! array, a unit variant its name, another variant `{"Name": value}`,
//! bytes an array of numbers.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::ser::{
    SerializeStructVariant, SerializeTuple, SerializeTupleStruct, SerializeTupleVariant,
};
use serde_json::{Map, Number, Value};
use wasmer_plugin_host::{Container, Field, Format, Schema, Shape};

/// serde's serializers and deserializers take names as `&'static str`;
/// the schema's names live as long as the command, which ends after one
/// call, so leaking them costs nothing that matters.
fn leak(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}

fn leak_all<'a>(names: impl Iterator<Item = &'a str>) -> &'static [&'static str] {
    Box::leak(names.map(leak).collect::<Vec<_>>().into_boxed_slice())
}

/// `value` as `format` of `schema` wants it, for a codec to encode.
pub(crate) struct Typed<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) format: &'a Format,
    pub(crate) value: &'a Value,
}

impl<'a> Typed<'a> {
    fn at(&self, format: &'a Format, value: &'a Value) -> Typed<'a> {
        Typed {
            schema: self.schema,
            format,
            value,
        }
    }
}

fn expected<E: ser::Error>(what: impl fmt::Display, value: &Value) -> E {
    E::custom(format_args!("expected {what}, found {value}"))
}

fn integer<T: TryFrom<i128>, E: ser::Error>(value: &Value, what: &str) -> Result<T, E> {
    let wide = match value {
        Value::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from)),
        // 128-bit integers do not fit a JSON number everywhere.
        Value::String(text) => text.parse::<i128>().ok(),
        _ => None,
    };
    wide.and_then(|wide| T::try_from(wide).ok())
        .ok_or_else(|| expected(format_args!("a {what}"), value))
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.value;
        match self.format {
            Format::Unit => match value {
                Value::Null => serializer.serialize_unit(),
                _ => Err(expected("null", value)),
            },
            Format::Bool => match value {
                Value::Bool(b) => serializer.serialize_bool(*b),
                _ => Err(expected("true or false", value)),
            },
            Format::I8 => serializer.serialize_i8(integer(value, "i8")?),
            Format::I16 => serializer.serialize_i16(integer(value, "i16")?),
            Format::I32 => serializer.serialize_i32(integer(value, "i32")?),
            Format::I64 => serializer.serialize_i64(integer(value, "i64")?),
            Format::I128 => serializer.serialize_i128(integer(value, "i128")?),
            Format::U8 => serializer.serialize_u8(integer(value, "u8")?),
            Format::U16 => serializer.serialize_u16(integer(value, "u16")?),
            Format::U32 => serializer.serialize_u32(integer(value, "u32")?),
            Format::U64 => serializer.serialize_u64(integer(value, "u64")?),
            Format::U128 => serializer.serialize_u128(integer::<u128, _>(value, "u128")?),
            Format::F32 => match value.as_f64() {
                Some(float) => serializer.serialize_f32(float as f32),
                None => Err(expected("a number", value)),
            },
            Format::F64 => match value.as_f64() {
                Some(float) => serializer.serialize_f64(float),
                None => Err(expected("a number", value)),
            },
            Format::Char => match value.as_str().map(|text| {
                let mut chars = text.chars();
                (chars.next(), chars.next())
            }) {
                Some((Some(c), None)) => serializer.serialize_char(c),
                _ => Err(expected("a string of one character", value)),
            },
            Format::Str => match value {
                Value::String(text) => serializer.serialize_str(text),
                _ => Err(expected("a string", value)),
            },
            Format::Bytes => {
                let bytes: Vec<u8> = match value {
                    Value::Array(items) => items
                        .iter()
                        .map(|item| integer(item, "byte"))
                        .collect::<Result<_, S::Error>>()?,
                    _ => return Err(expected("an array of bytes", value)),
                };
                serializer.serialize_bytes(&bytes)
            }
            Format::Option(inner) => match value {
                Value::Null => serializer.serialize_none(),
                _ => serializer.serialize_some(&self.at(inner, value)),
            },
            Format::Seq(inner) => {
                let Value::Array(items) = value else {
                    return Err(expected("an array", value));
                };
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.at(inner, item))?;
                }
                seq.end()
            }
            Format::Map(key, inner) => {
                let Value::Object(entries) = value else {
                    return Err(expected("an object", value));
                };
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (name, item) in entries {
                    // Object keys are strings; a number key is its text.
                    let key_value = match **key {
                        Format::Str | Format::Char | Format::Unknown => Value::String(name.clone()),
                        _ => serde_json::from_str(name).unwrap_or(Value::String(name.clone())),
                    };
                    map.serialize_entry(&self.at(key, &key_value), &self.at(inner, item))?;
                }
                map.end()
            }
            Format::Tuple(formats) => {
                let items = array(value, formats.len())?;
                let mut tuple = serializer.serialize_tuple(formats.len())?;
                for (format, item) in formats.iter().zip(items) {
                    tuple.serialize_element(&self.at(format, item))?;
                }
                tuple.end()
            }
            Format::Named(name) => match self.schema.container(name) {
                Some(Container::Struct(shape)) => self.container(serializer, leak(name), shape),
                Some(Container::Enum(variants)) => {
                    let (variant, index, inner) = match value {
                        Value::String(variant) => (variant, None, &Value::Null),
                        Value::Object(entries) if entries.len() == 1 => {
                            let (variant, inner) = entries.iter().next().expect("one entry");
                            (variant, Some(()), inner)
                        }
                        _ => return Err(expected(format_args!("a variant of `{name}`"), value)),
                    };
                    let Some(position) = variants.iter().position(|known| known.name == *variant)
                    else {
                        let mut names: Vec<&str> =
                            variants.iter().map(|v| v.name.as_str()).collect();
                        names.sort_unstable();
                        return Err(ser::Error::custom(format_args!(
                            "`{name}` has no variant `{variant}`; it has {}",
                            names.join(", ")
                        )));
                    };
                    let Some(shape) = &variants[position].shape else {
                        return Err(ser::Error::custom(format_args!(
                            "the plugin did not describe variant `{variant}` of `{name}`"
                        )));
                    };
                    if index.is_none() && *shape != Shape::Unit {
                        return Err(expected(format_args!("{{\"{variant}\": …}}"), value));
                    }
                    self.variant(
                        serializer,
                        leak(name),
                        position as u32,
                        leak(variant),
                        shape,
                        inner,
                    )
                }
                None => Err(ser::Error::custom(format_args!(
                    "`{name}` is not described"
                ))),
            },
            Format::Unknown => Err(ser::Error::custom(
                "the plugin's schema does not describe this value",
            )),
        }
    }
}

fn array<E: ser::Error>(value: &Value, len: usize) -> Result<&Vec<Value>, E> {
    match value {
        Value::Array(items) if items.len() == len => Ok(items),
        _ => Err(expected(format_args!("an array of {len}"), value)),
    }
}

/// The field values of `value`, an object, in `fields` order: a missing
/// optional field is `null`, a missing required or an unknown one an
/// error.
fn field_values<'v, E: ser::Error>(
    fields: &[Field],
    value: &'v Value,
) -> Result<Vec<&'v Value>, E> {
    static NULL: Value = Value::Null;
    let Value::Object(entries) = value else {
        return Err(expected("an object", value));
    };
    if let Some(unknown) = entries
        .keys()
        .find(|key| !fields.iter().any(|field| field.name == **key))
    {
        return Err(E::custom(format_args!("unknown field `{unknown}`")));
    }
    fields
        .iter()
        .map(|field| match entries.get(&field.name) {
            Some(value) => Ok(value),
            None if matches!(field.format, Format::Option(_)) => Ok(&NULL),
            None => Err(E::custom(format_args!("missing field `{}`", field.name))),
        })
        .collect()
}

impl<'a> Typed<'a> {
    fn container<S: Serializer>(
        &self,
        serializer: S,
        name: &'static str,
        shape: &'a Shape,
    ) -> Result<S::Ok, S::Error> {
        let value = self.value;
        match shape {
            Shape::Unit => serializer.serialize_unit_struct(name),
            Shape::Newtype(format) => {
                serializer.serialize_newtype_struct(name, &self.at(format, value))
            }
            Shape::Tuple(formats) => {
                let items = array(value, formats.len())?;
                let mut tuple = serializer.serialize_tuple_struct(name, formats.len())?;
                for (format, item) in formats.iter().zip(items) {
                    tuple.serialize_field(&self.at(format, item))?;
                }
                tuple.end()
            }
            Shape::Struct { fields, .. } => {
                let values = field_values(fields, value)?;
                let mut fields_out = serializer.serialize_struct(name, fields.len())?;
                for (field, item) in fields.iter().zip(values) {
                    fields_out.serialize_field(leak(&field.name), &self.at(&field.format, item))?;
                }
                fields_out.end()
            }
        }
    }

    fn variant<S: Serializer>(
        &self,
        serializer: S,
        name: &'static str,
        index: u32,
        variant: &'static str,
        shape: &'a Shape,
        value: &'a Value,
    ) -> Result<S::Ok, S::Error> {
        match shape {
            Shape::Unit => serializer.serialize_unit_variant(name, index, variant),
            Shape::Newtype(format) => {
                serializer.serialize_newtype_variant(name, index, variant, &self.at(format, value))
            }
            Shape::Tuple(formats) => {
                let items = array(value, formats.len())?;
                let mut tuple =
                    serializer.serialize_tuple_variant(name, index, variant, formats.len())?;
                for (format, item) in formats.iter().zip(items) {
                    tuple.serialize_field(&self.at(format, item))?;
                }
                tuple.end()
            }
            Shape::Struct { fields, .. } => {
                let values = field_values(fields, value)?;
                let mut out =
                    serializer.serialize_struct_variant(name, index, variant, fields.len())?;
                for (field, item) in fields.iter().zip(values) {
                    out.serialize_field(leak(&field.name), &self.at(&field.format, item))?;
                }
                out.end()
            }
        }
    }
}

/// Decodes a value of `format` of `schema` into JSON.
#[derive(Clone, Copy)]
pub(crate) struct Seed<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) format: &'a Format,
}

impl<'a> Seed<'a> {
    fn at(self, format: &'a Format) -> Seed<'a> {
        Seed {
            schema: self.schema,
            format,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let visitor = ValueVisitor { seed: self };
        match self.format {
            Format::Unit => deserializer.deserialize_unit(visitor),
            Format::Bool => deserializer.deserialize_bool(visitor),
            Format::I8 => deserializer.deserialize_i8(visitor),
            Format::I16 => deserializer.deserialize_i16(visitor),
            Format::I32 => deserializer.deserialize_i32(visitor),
            Format::I64 => deserializer.deserialize_i64(visitor),
            Format::I128 => deserializer.deserialize_i128(visitor),
            Format::U8 => deserializer.deserialize_u8(visitor),
            Format::U16 => deserializer.deserialize_u16(visitor),
            Format::U32 => deserializer.deserialize_u32(visitor),
            Format::U64 => deserializer.deserialize_u64(visitor),
            Format::U128 => deserializer.deserialize_u128(visitor),
            Format::F32 => deserializer.deserialize_f32(visitor),
            Format::F64 => deserializer.deserialize_f64(visitor),
            Format::Char => deserializer.deserialize_char(visitor),
            Format::Str => deserializer.deserialize_string(visitor),
            Format::Bytes => deserializer.deserialize_byte_buf(visitor),
            Format::Option(_) => deserializer.deserialize_option(visitor),
            Format::Seq(_) => deserializer.deserialize_seq(visitor),
            Format::Map(..) => deserializer.deserialize_map(visitor),
            Format::Tuple(formats) => deserializer.deserialize_tuple(formats.len(), visitor),
            Format::Named(name) => match self.schema.container(name) {
                Some(Container::Struct(shape)) => {
                    let name = leak(name);
                    match shape {
                        Shape::Unit => deserializer.deserialize_unit_struct(name, visitor),
                        Shape::Newtype(_) => deserializer.deserialize_newtype_struct(name, visitor),
                        Shape::Tuple(formats) => {
                            deserializer.deserialize_tuple_struct(name, formats.len(), visitor)
                        }
                        Shape::Struct { fields, .. } => {
                            let names = leak_all(fields.iter().map(|field| field.name.as_str()));
                            deserializer.deserialize_struct(name, names, visitor)
                        }
                    }
                }
                Some(Container::Enum(variants)) => {
                    let names = leak_all(variants.iter().map(|variant| variant.name.as_str()));
                    deserializer.deserialize_enum(leak(name), names, visitor)
                }
                None => Err(de::Error::custom(format_args!("`{name}` is not described"))),
            },
            Format::Unknown => Err(de::Error::custom(
                "the plugin's schema does not describe this value",
            )),
        }
    }
}

struct ValueVisitor<'a> {
    seed: Seed<'a>,
}

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seed.format)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(
            |_| Value::String(v.to_string()),
            |v| Value::Number(v.into()),
        ))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(u64::try_from(v).map_or_else(
            |_| Value::String(v.to_string()),
            |v| Value::Number(v.into()),
        ))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(v.iter().map(|&b| Value::from(b)).collect()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self.seed.format {
            Format::Option(inner) => self.seed.at(inner).deserialize(deserializer),
            _ => Err(de::Error::custom("a value where none was expected")),
        }
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Value, D::Error> {
        match self.seed.format {
            Format::Named(name) => match self.seed.schema.container(name) {
                Some(Container::Struct(Shape::Newtype(inner))) => {
                    self.seed.at(inner).deserialize(deserializer)
                }
                _ => Err(de::Error::custom("an unexpected newtype")),
            },
            _ => Err(de::Error::custom("an unexpected newtype")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let seed = self.seed;
        let formats: Vec<&Format> = match seed.format {
            Format::Seq(_) | Format::Bytes => {
                let inner: &Format = match seed.format {
                    Format::Seq(inner) => inner,
                    _ => &Format::U8,
                };
                let mut items = Vec::new();
                while let Some(item) = seq.next_element_seed(seed.at(inner))? {
                    items.push(item);
                }
                return Ok(Value::Array(items));
            }
            Format::Tuple(formats) => formats.iter().collect(),
            Format::Named(name) => match seed.schema.container(name) {
                Some(Container::Struct(Shape::Tuple(formats))) => formats.iter().collect(),
                Some(Container::Struct(Shape::Struct { fields, .. })) => {
                    let mut object = Map::new();
                    for field in fields {
                        let value =
                            seq.next_element_seed(seed.at(&field.format))?
                                .ok_or_else(|| {
                                    de::Error::custom(format_args!(
                                        "missing field `{}`",
                                        field.name
                                    ))
                                })?;
                        object.insert(field.name.clone(), value);
                    }
                    return Ok(Value::Object(object));
                }
                _ => return Err(de::Error::custom("an unexpected sequence")),
            },
            _ => return Err(de::Error::custom("an unexpected sequence")),
        };
        let mut items = Vec::new();
        for format in formats {
            let item = seq
                .next_element_seed(seed.at(format))?
                .ok_or_else(|| de::Error::custom("a tuple too short"))?;
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let seed = self.seed;
        let mut object = Map::new();
        match seed.format {
            Format::Map(key, value) => {
                while let Some(key) = map.next_key_seed(seed.at(key))? {
                    let key = match key {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    object.insert(key, map.next_value_seed(seed.at(value))?);
                }
            }
            Format::Named(name) => {
                let Some(Container::Struct(Shape::Struct { fields, .. })) =
                    seed.schema.container(name)
                else {
                    return Err(de::Error::custom("an unexpected map"));
                };
                while let Some(key) = map.next_key::<String>()? {
                    match fields.iter().find(|field| field.name == key) {
                        Some(field) => {
                            object.insert(key, map.next_value_seed(seed.at(&field.format))?);
                        }
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
            }
            _ => return Err(de::Error::custom("an unexpected map")),
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess;
        let seed = self.seed;
        let Format::Named(name) = seed.format else {
            return Err(de::Error::custom("an unexpected enum"));
        };
        let Some(Container::Enum(variants)) = seed.schema.container(name) else {
            return Err(de::Error::custom("an unexpected enum"));
        };
        let (index, access) = data.variant_seed(VariantSeed { variants })?;
        let variant = &variants[index];
        let inner = match &variant.shape {
            None => {
                return Err(de::Error::custom(format_args!(
                    "the plugin did not describe variant `{}`",
                    variant.name
                )));
            }
            Some(Shape::Unit) => {
                access.unit_variant()?;
                return Ok(Value::String(variant.name.clone()));
            }
            Some(Shape::Newtype(format)) => access.newtype_variant_seed(seed.at(format))?,
            Some(Shape::Tuple(formats)) => {
                let tuple = Format::Tuple(formats.clone());
                let visitor = ValueVisitor {
                    seed: Seed {
                        schema: seed.schema,
                        format: Box::leak(Box::new(tuple)),
                    },
                };
                access.tuple_variant(formats.len(), visitor)?
            }
            Some(Shape::Struct { fields, .. }) => {
                let names = leak_all(fields.iter().map(|field| field.name.as_str()));
                access.struct_variant(names, FieldsVisitor { seed, fields })?
            }
        };
        let mut object = Map::new();
        object.insert(variant.name.clone(), inner);
        Ok(Value::Object(object))
    }
}

/// The fields of a struct variant.
struct FieldsVisitor<'a> {
    seed: Seed<'a>,
    fields: &'a [Field],
}

impl<'de> Visitor<'de> for FieldsVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the fields of a variant")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        for field in self.fields {
            let value = seq
                .next_element_seed(self.seed.at(&field.format))?
                .ok_or_else(|| de::Error::custom(format_args!("missing field `{}`", field.name)))?;
            object.insert(field.name.clone(), value);
        }
        Ok(Value::Object(object))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.fields.iter().find(|field| field.name == key) {
                Some(field) => {
                    object.insert(key, map.next_value_seed(self.seed.at(&field.format))?);
                }
                None => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(object))
    }
}

/// A variant's index, from its index or its name.
struct VariantSeed<'a> {
    variants: &'a [wasmer_plugin_host::Variant],
}

impl<'de> DeserializeSeed<'de> for VariantSeed<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a variant")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        let index = v as usize;
        if index < self.variants.len() {
            Ok(index)
        } else {
            Err(E::custom(format_args!("variant index {v} out of range")))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.variants
            .iter()
            .position(|variant| variant.name == v)
            .ok_or_else(|| E::custom(format_args!("unknown variant `{v}`")))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<usize, E> {
        match std::str::from_utf8(v) {
            Ok(text) => self.visit_str(text),
            Err(_) => Err(E::custom("a variant name that is not UTF-8")),
        }
    }
}
