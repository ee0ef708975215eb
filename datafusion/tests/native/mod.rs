//! The native DataFusion UDFs the plugin's functions are measured and
//! checked against: the same logic as the `sql` test plugin's
//! `clean_email` and `add`, in Rust.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// The plugin's `clean_email`.
pub fn clean(address: &str) -> Option<String> {
    let address = address.trim();
    let (user, domain) = address.split_once('@')?;
    if user.is_empty() || domain.is_empty() || domain.contains('@') || !domain.contains('.') {
        return None;
    }
    Some(address.to_ascii_lowercase())
}

/// `native_clean_email(address)`.
pub fn native_clean_email() -> ScalarUDF {
    create_udf(
        "native_clean_email",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Volatile,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let output: StringArray = arrays[0]
                .as_string::<i32>()
                .iter()
                .map(|address| clean(address?))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(output)))
        }),
    )
}

/// `native_add(a, b)`, wrapping.
#[allow(dead_code)] // The tests use only `native_clean_email`.
pub fn native_add() -> ScalarUDF {
    create_udf(
        "native_add",
        vec![DataType::Int64, DataType::Int64],
        DataType::Int64,
        Volatility::Volatile,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let (a, b) = (
                arrays[0].as_primitive::<Int64Type>(),
                arrays[1].as_primitive::<Int64Type>(),
            );
            let output: Int64Array = a
                .iter()
                .zip(b.iter())
                .map(|(a, b)| Some(a?.wrapping_add(b?)))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(output)))
        }),
    )
}
