use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::*;
use crate::Layout;

const NAMED: Layout = Layout {
    named_fields: true,
    named_variants: true,
    human_readable: true,
};

#[derive(Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Serialize, Deserialize)]
enum Shape2 {
    Dot,
    Circle(Point, u32),
    Label { text: String, at: Option<Point> },
    Raw(Vec<u8>),
}

#[derive(Serialize, Deserialize)]
struct Tree {
    value: u64,
    children: Vec<Tree>,
}

#[derive(Serialize, Deserialize)]
enum Expr {
    Add(Box<Expr>, Box<Expr>),
    Lit(i64),
}

#[derive(Serialize, Deserialize)]
struct Settings {
    name: String,
    #[serde(default)]
    retries: u32,
    comment: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    a: u8,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Untagged {
    A(u8),
    B(String),
}

fn field(name: &str, format: Format, optional: bool) -> Field {
    Field {
        name: name.to_string(),
        format,
        optional,
    }
}

fn point() -> Container {
    Container::Struct(Shape::Struct {
        fields: vec![
            field("x", Format::I32, false),
            field("y", Format::I32, false),
        ],
        closed: true,
    })
}

#[test]
fn primitives_and_std_types() {
    let layout = Layout::POSITIONAL;
    assert_eq!(trace_type::<u32>(layout).unwrap(), Schema::of(Format::U32));
    assert_eq!(
        trace_type::<String>(layout).unwrap(),
        Schema::of(Format::Str)
    );
    assert_eq!(trace_type::<&str>(layout).unwrap(), Schema::of(Format::Str));
    assert_eq!(
        trace_type::<&[u8]>(layout).unwrap(),
        Schema::of(Format::Bytes)
    );
    assert_eq!(
        trace_type::<Vec<u8>>(layout).unwrap(),
        Schema::of(Format::Seq(Box::new(Format::U8)))
    );
    assert_eq!(
        trace_type::<(Option<u64>, BTreeMap<String, bool>, [u16; 2])>(layout).unwrap(),
        Schema::of(Format::Tuple(vec![
            Format::Option(Box::new(Format::U64)),
            Format::Map(Box::new(Format::Str), Box::new(Format::Bool)),
            Format::Tuple(vec![Format::U16, Format::U16]),
        ]))
    );
    assert_eq!(trace_type::<()>(layout).unwrap(), Schema::of(Format::Unit));
}

#[test]
fn every_variant_of_an_enum_is_traced() {
    let schema = trace_type::<Shape2>(Layout::POSITIONAL).unwrap();
    assert_eq!(schema.root, Format::Named("Shape2".into()));
    assert_eq!(schema.containers["Point"], point());
    let Container::Enum(variants) = &schema.containers["Shape2"] else {
        panic!("{schema:?}")
    };
    let shapes: Vec<_> = variants
        .iter()
        .map(|v| (v.name.as_str(), v.shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("Dot", Some(Shape::Unit)),
            (
                "Circle",
                Some(Shape::Tuple(vec![
                    Format::Named("Point".into()),
                    Format::U32
                ]))
            ),
            (
                "Label",
                Some(Shape::Struct {
                    fields: vec![
                        field("text", Format::Str, false),
                        field(
                            "at",
                            Format::Option(Box::new(Format::Named("Point".into()))),
                            true
                        ),
                    ],
                    closed: true,
                })
            ),
            (
                "Raw",
                Some(Shape::Newtype(Format::Seq(Box::new(Format::U8))))
            ),
        ]
    );
}

#[test]
fn recursive_types_end() {
    let tree = trace_type::<Tree>(Layout::POSITIONAL).unwrap();
    assert_eq!(
        tree.containers["Tree"],
        Container::Struct(Shape::Struct {
            fields: vec![
                field("value", Format::U64, false),
                field(
                    "children",
                    Format::Seq(Box::new(Format::Named("Tree".into()))),
                    false
                ),
            ],
            closed: true,
        })
    );
    // The first variant recurses: the tracer finds the one that ends.
    let expr = trace_type::<Expr>(Layout::POSITIONAL).unwrap();
    let Container::Enum(variants) = &expr.containers["Expr"] else {
        panic!("{expr:?}")
    };
    assert_eq!(
        variants[0].shape,
        Some(Shape::Tuple(vec![
            Format::Named("Expr".into()),
            Format::Named("Expr".into())
        ]))
    );
    assert_eq!(variants[1].shape, Some(Shape::Newtype(Format::I64)));
}

#[test]
fn named_layouts_learn_defaults_and_unknown_fields() {
    let schema = trace_type::<Settings>(NAMED).unwrap();
    assert_eq!(
        schema.containers["Settings"],
        Container::Struct(Shape::Struct {
            fields: vec![
                field("name", Format::Str, false),
                field("retries", Format::U32, true),
                field("comment", Format::Option(Box::new(Format::Str)), true),
            ],
            closed: false,
        })
    );
    let strict = trace_type::<Strict>(NAMED).unwrap();
    assert!(matches!(
        &strict.containers["Strict"],
        Container::Struct(Shape::Struct { closed: true, .. })
    ));
    // Positional layouts do not probe: defaults are not theirs to use.
    let positional = trace_type::<Settings>(Layout::POSITIONAL).unwrap();
    let Container::Struct(Shape::Struct { fields, .. }) = &positional.containers["Settings"] else {
        panic!()
    };
    assert!(!fields[1].optional);
}

#[test]
fn self_describing_types_are_refused_with_a_reason() {
    let err = trace_type::<Untagged>(Layout::POSITIONAL).unwrap_err();
    assert!(err.contains("Untagged"), "{err}");
    assert!(err.contains("deserialize_any"), "{err}");
}

#[test]
fn values_show_what_they_hold() {
    let layout = Layout::POSITIONAL;
    let value = (
        "text",
        Point { x: 1, y: 2 },
        Vec::<u32>::new(),
        None::<u8>,
        Shape2::Dot,
        &b"bytes"[..],
    );
    let schema = trace_value(&value, layout).unwrap();
    assert_eq!(
        schema.root,
        Format::Tuple(vec![
            Format::Str,
            Format::Named("Point".into()),
            Format::Seq(Box::new(Format::Unknown)),
            Format::Option(Box::new(Format::Unknown)),
            Format::Named("Shape2".into()),
            // serde writes a slice as a sequence; the codecs' byte buffers
            // make it the same bytes as `Bytes`, which checks accept.
            Format::Seq(Box::new(Format::U8)),
        ])
    );
    assert_eq!(
        schema.containers["Point"],
        Container::Struct(Shape::Struct {
            fields: vec![
                field("x", Format::I32, false),
                field("y", Format::I32, false),
            ],
            closed: false,
        })
    );
    assert_eq!(
        schema.containers["Shape2"],
        Container::Enum(vec![Variant {
            name: "Dot".into(),
            shape: Some(Shape::Unit),
        }])
    );
    let tree = Tree {
        value: 1,
        children: vec![Tree {
            value: 2,
            children: vec![],
        }],
    };
    let schema = trace_value(&tree, layout).unwrap();
    assert_eq!(
        trace_type::<Tree>(layout).unwrap().containers["Tree"],
        match &schema.containers["Tree"] {
            Container::Struct(Shape::Struct { fields, .. }) => Container::Struct(Shape::Struct {
                fields: fields.clone(),
                closed: true,
            }),
            other => panic!("{other:?}"),
        }
    );
}

#[test]
fn schemas_round_trip_through_their_bytes() {
    let schemas = [
        FunctionSchema {
            args: trace_type::<(Shape2, Tree, Settings)>(NAMED),
            ret: trace_type::<Expr>(Layout::POSITIONAL),
        },
        FunctionSchema {
            args: Ok(Schema::of(Format::Unknown)),
            ret: Err("`X` cannot be traced: because".into()),
        },
    ];
    for schema in schemas {
        let bytes = schema.to_bytes();
        assert_eq!(FunctionSchema::from_bytes(&bytes).unwrap(), schema);
        for cut in 0..bytes.len() {
            assert!(
                FunctionSchema::from_bytes(&bytes[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            FunctionSchema::from_bytes(&longer).unwrap_err(),
            SchemaError::TrailingBytes { extra: 1 }
        );
    }
}

#[test]
fn damaged_schema_bytes_are_errors() {
    // A count larger than the bytes allocates nothing and fails.
    let mut forged = vec![0u8, 20];
    forged.extend(u32::MAX.to_le_bytes());
    assert!(matches!(
        FunctionSchema::from_bytes(&forged).unwrap_err(),
        SchemaError::Truncated { .. }
    ));
    // Nesting past the limit.
    let mut deep = vec![0u8];
    deep.extend(core::iter::repeat_n(17u8, MAX_SCHEMA_DEPTH + 1));
    assert_eq!(
        FunctionSchema::from_bytes(&deep).unwrap_err(),
        SchemaError::TooDeep
    );
    // A name without its container.
    let dangling = FunctionSchema {
        args: Ok(Schema::of(Format::Named("Gone".into()))),
        ret: Ok(Schema::of(Format::Unit)),
    };
    assert_eq!(
        FunctionSchema::from_bytes(&dangling.to_bytes()).unwrap_err(),
        SchemaError::UndescribedContainer {
            name: "Gone".into()
        }
    );
    assert!(matches!(
        FunctionSchema::from_bytes(&[0, 99]).unwrap_err(),
        SchemaError::UnknownTag { tag: 99, .. }
    ));
}

#[test]
fn schemas_print_as_rust_types() {
    let schema = trace_type::<(Point, Option<Vec<String>>)>(Layout::POSITIONAL).unwrap();
    let text = schema.to_string();
    assert_eq!(
        text,
        "(Point, Option<Vec<String>>)\n  struct Point { x: i32, y: i32 }"
    );
    let _: String = text;
}
