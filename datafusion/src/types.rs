//! Which plugin functions are SQL functions: the Arrow types of their
//! arguments and result, from the plugin's schemas.

use datafusion::arrow::datatypes::DataType;
use wasmer_plugin_host::{ColumnKind, Format, FunctionSchema};

/// A function's SQL signature: one column kind and Arrow type per
/// argument, and the result's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ColumnSignature {
    pub(crate) args: Vec<(ColumnKind, DataType)>,
    pub(crate) ret: (ColumnKind, DataType),
}

/// The column kind and Arrow type of a value of `format`, `Option`s
/// looked through (every column is nullable).
fn column_type(format: &Format) -> Result<(ColumnKind, DataType), String> {
    Ok(match format {
        Format::Option(inner) => return column_type(inner),
        Format::Bool => (ColumnKind::Bool, DataType::Boolean),
        Format::I8 => (ColumnKind::I8, DataType::Int8),
        Format::I16 => (ColumnKind::I16, DataType::Int16),
        Format::I32 => (ColumnKind::I32, DataType::Int32),
        Format::I64 => (ColumnKind::I64, DataType::Int64),
        Format::U8 => (ColumnKind::U8, DataType::UInt8),
        Format::U16 => (ColumnKind::U16, DataType::UInt16),
        Format::U32 => (ColumnKind::U32, DataType::UInt32),
        Format::U64 => (ColumnKind::U64, DataType::UInt64),
        Format::F32 => (ColumnKind::F32, DataType::Float32),
        Format::F64 => (ColumnKind::F64, DataType::Float64),
        Format::Str => (ColumnKind::Str, DataType::Utf8),
        Format::Bytes => (ColumnKind::Bytes, DataType::Binary),
        Format::Seq(item) if **item == Format::U8 => (ColumnKind::Bytes, DataType::Binary),
        other => return Err(format!("`{other:?}` is not a column type")),
    })
}

/// The SQL signature of a function with `schema`, or why it has none.
pub(crate) fn column_signature(schema: &FunctionSchema) -> Result<ColumnSignature, String> {
    let args = schema
        .args
        .as_ref()
        .map_err(|reason| format!("its arguments are not described: {reason}"))?;
    let ret = schema
        .ret
        .as_ref()
        .map_err(|reason| format!("its result is not described: {reason}"))?;
    // One argument crosses as the bare value, several as a tuple, none
    // as `()`.
    let args = match &args.root {
        Format::Unit => Vec::new(),
        Format::Tuple(items) => items.iter().map(column_type).collect::<Result<_, _>>()?,
        single => vec![column_type(single)?],
    };
    let ret = column_type(&ret.root).map_err(|reason| format!("its result: {reason}"))?;
    Ok(ColumnSignature { args, ret })
}
