//! A plugin function's schema as a JSON Schema (2020-12) of the JSON
//! values `wasmer-plugin call` takes and prints, for tools and hosts that
//! are not Rust.

use serde_json::{Map, Value, json};
use wasmer_plugin_host::{Container, Format, Schema, Shape};

/// The JSON Schema of values of `schema`; its containers go in `$defs`.
pub(crate) fn of(schema: &Schema) -> Value {
    let mut root = format(&schema.root);
    if !schema.containers.is_empty() {
        let defs: Map<String, Value> = schema
            .containers
            .iter()
            .map(|(name, container)| (name.clone(), self::container(container)))
            .collect();
        if let Value::Object(object) = &mut root {
            object.insert("$defs".into(), Value::Object(defs));
        }
    }
    if let Value::Object(object) = &mut root {
        object.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
    }
    root
}

fn integer(min: i128, max: i128) -> Value {
    // Beyond 64 bits JSON numbers lose precision: give no bound there.
    let mut schema = json!({ "type": "integer" });
    if let (Ok(min), Ok(max)) = (i64::try_from(min), u64::try_from(max)) {
        schema["minimum"] = min.into();
        schema["maximum"] = max.into();
    }
    schema
}

fn format(format: &Format) -> Value {
    match format {
        Format::Unit => json!({ "type": "null" }),
        Format::Bool => json!({ "type": "boolean" }),
        Format::I8 => integer(i8::MIN.into(), i8::MAX.into()),
        Format::I16 => integer(i16::MIN.into(), i16::MAX.into()),
        Format::I32 => integer(i32::MIN.into(), i32::MAX.into()),
        Format::I64 => integer(i64::MIN.into(), i64::MAX.into()),
        Format::I128 => integer(i128::MIN, i128::MAX),
        Format::U8 => integer(0, u8::MAX.into()),
        Format::U16 => integer(0, u16::MAX.into()),
        Format::U32 => integer(0, u32::MAX.into()),
        Format::U64 => integer(0, u64::MAX.into()),
        Format::U128 => integer(0, i128::MAX),
        Format::F32 | Format::F64 => json!({ "type": "number" }),
        Format::Char => json!({ "type": "string", "minLength": 1, "maxLength": 1 }),
        Format::Str => json!({ "type": "string" }),
        Format::Bytes => json!({ "type": "array", "items": integer(0, 255) }),
        Format::Option(inner) => json!({ "anyOf": [format_of(inner), { "type": "null" }] }),
        Format::Seq(inner) => json!({ "type": "array", "items": format_of(inner) }),
        Format::Map(_, value) => {
            json!({ "type": "object", "additionalProperties": format_of(value) })
        }
        Format::Tuple(formats) => tuple(formats),
        Format::Named(name) => json!({ "$ref": format!("#/$defs/{name}") }),
        Format::Unknown => json!({}),
    }
}

fn format_of(inner: &Format) -> Value {
    format(inner)
}

fn tuple(formats: &[Format]) -> Value {
    json!({
        "type": "array",
        "prefixItems": formats.iter().map(format).collect::<Vec<_>>(),
        "minItems": formats.len(),
        "maxItems": formats.len(),
    })
}

fn shape(shape: &Shape) -> Value {
    match shape {
        Shape::Unit => json!({ "type": "null" }),
        Shape::Newtype(inner) => format(inner),
        Shape::Tuple(formats) => tuple(formats),
        Shape::Struct { fields, closed } => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|field| (field.name.clone(), format(&field.format)))
                .collect();
            let required: Vec<&str> = fields
                .iter()
                .filter(|field| !field.optional)
                .map(|field| field.name.as_str())
                .collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": !closed,
            })
        }
    }
}

fn container(container: &Container) -> Value {
    match container {
        Container::Struct(inner) => shape(inner),
        Container::Enum(variants) => {
            let one_of: Vec<Value> = variants
                .iter()
                .map(|variant| match &variant.shape {
                    Some(Shape::Unit) => json!({ "const": variant.name }),
                    described => json!({
                        "type": "object",
                        "properties": { variant.name.clone(): described.as_ref().map_or(json!({}), shape) },
                        "required": [variant.name],
                        "additionalProperties": false,
                    }),
                })
                .collect();
            json!({ "oneOf": one_of })
        }
    }
}
