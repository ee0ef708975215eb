//! Arrow arrays to the batch layout of docs/ABI.md ("Batches") and a
//! result column back to an Arrow array. The layout is Arrow's own for
//! everything but the offsets, so buffers are copied, not converted.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, GenericByteArray, PrimitiveArray,
    StringArray,
};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, ByteArrayType, DataType, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use wasmer_plugin_abi::{Column, ColumnKind, Values, write_column};

// The batch layout is little-endian and its buffers are read and written
// in place as Arrow's native ones.
#[cfg(target_endian = "big")]
compile_error!(
    "wasmer-plugin-datafusion copies Arrow buffers as the batch layout's little-endian ones: it builds for little-endian targets only"
);

/// Appends `array` (of the Arrow type of `kind`) to the batch in `out`
/// as a column of `kind`.
pub(crate) fn write_array(
    out: &mut Vec<u8>,
    kind: ColumnKind,
    array: &dyn Array,
) -> Result<(), String> {
    let nulls = array.logical_nulls().filter(|nulls| nulls.null_count() > 0);
    let validity = nulls.as_ref().map(|nulls| nulls.inner().sliced());
    let validity = validity.as_deref();
    let mut scratch = Vec::new();
    let values = match kind {
        ColumnKind::Bool => {
            let bits = array.as_boolean().values().sliced();
            scratch.extend_from_slice(&bits);
            Values::Fixed(&scratch)
        }
        ColumnKind::I8 => Values::Fixed(primitive_bytes::<Int8Type>(array)),
        ColumnKind::I16 => Values::Fixed(primitive_bytes::<Int16Type>(array)),
        ColumnKind::I32 => Values::Fixed(primitive_bytes::<Int32Type>(array)),
        ColumnKind::I64 => Values::Fixed(primitive_bytes::<Int64Type>(array)),
        ColumnKind::U8 => Values::Fixed(primitive_bytes::<UInt8Type>(array)),
        ColumnKind::U16 => Values::Fixed(primitive_bytes::<UInt16Type>(array)),
        ColumnKind::U32 => Values::Fixed(primitive_bytes::<UInt32Type>(array)),
        ColumnKind::U64 => Values::Fixed(primitive_bytes::<UInt64Type>(array)),
        ColumnKind::F32 => Values::Fixed(primitive_bytes::<Float32Type>(array)),
        ColumnKind::F64 => Values::Fixed(primitive_bytes::<Float64Type>(array)),
        ColumnKind::Str => byte_values(array.as_string::<i32>(), &mut scratch)?,
        ColumnKind::Bytes => byte_values(array.as_binary::<i32>(), &mut scratch)?,
        other => return Err(format!("no Arrow type for column kind {other:?}")),
    };
    write_column(
        out,
        &Column {
            kind,
            rows: array.len(),
            validity,
            values,
        },
    );
    Ok(())
}

fn primitive_bytes<T: ArrowPrimitiveType>(array: &dyn Array) -> &[u8] {
    let values: &ScalarBuffer<T::Native> = array.as_primitive::<T>().values();
    values.inner().as_slice()
}

/// The offsets (rebased to start at 0, as `u32`, into `scratch`) and data
/// of a string or binary array.
fn byte_values<'a, T: ByteArrayType<Offset = i32>>(
    array: &'a GenericByteArray<T>,
    scratch: &'a mut Vec<u8>,
) -> Result<Values<'a>, String> {
    let offsets = array.value_offsets();
    let first = offsets[0];
    let last = offsets[offsets.len() - 1];
    scratch.reserve(offsets.len() * 4);
    for &offset in offsets {
        scratch.extend_from_slice(&((offset - first) as u32).to_le_bytes());
    }
    let data = &array.value_data()[first as usize..last as usize];
    Ok(Values::Variable {
        offsets: scratch,
        data,
    })
}

/// The Arrow array of a result column of `kind`, of type `data_type`.
pub(crate) fn read_array(column: Column<'_>, data_type: &DataType) -> Result<ArrayRef, String> {
    let rows = column.rows;
    let nulls = column
        .validity
        .map(|bits| NullBuffer::new(BooleanBuffer::new(Buffer::from_slice_ref(bits), 0, rows)));
    let array: ArrayRef = match (column.kind, column.values) {
        (ColumnKind::Bool, Values::Fixed(bits)) => Arc::new(BooleanArray::new(
            BooleanBuffer::new(Buffer::from_slice_ref(bits), 0, rows),
            nulls,
        )),
        (ColumnKind::I8, Values::Fixed(bytes)) => primitive::<Int8Type>(bytes, rows, nulls),
        (ColumnKind::I16, Values::Fixed(bytes)) => primitive::<Int16Type>(bytes, rows, nulls),
        (ColumnKind::I32, Values::Fixed(bytes)) => primitive::<Int32Type>(bytes, rows, nulls),
        (ColumnKind::I64, Values::Fixed(bytes)) => primitive::<Int64Type>(bytes, rows, nulls),
        (ColumnKind::U8, Values::Fixed(bytes)) => primitive::<UInt8Type>(bytes, rows, nulls),
        (ColumnKind::U16, Values::Fixed(bytes)) => primitive::<UInt16Type>(bytes, rows, nulls),
        (ColumnKind::U32, Values::Fixed(bytes)) => primitive::<UInt32Type>(bytes, rows, nulls),
        (ColumnKind::U64, Values::Fixed(bytes)) => primitive::<UInt64Type>(bytes, rows, nulls),
        (ColumnKind::F32, Values::Fixed(bytes)) => primitive::<Float32Type>(bytes, rows, nulls),
        (ColumnKind::F64, Values::Fixed(bytes)) => primitive::<Float64Type>(bytes, rows, nulls),
        (ColumnKind::Str, Values::Variable { offsets, data }) => {
            let offsets = arrow_offsets(offsets)?;
            Arc::new(
                StringArray::try_new(offsets, Buffer::from_slice_ref(data), nulls)
                    .map_err(|err| err.to_string())?,
            )
        }
        (ColumnKind::Bytes, Values::Variable { offsets, data }) => {
            let offsets = arrow_offsets(offsets)?;
            Arc::new(
                BinaryArray::try_new(offsets, Buffer::from_slice_ref(data), nulls)
                    .map_err(|err| err.to_string())?,
            )
        }
        (kind, _) => return Err(format!("no Arrow array for a column of {kind:?}")),
    };
    if array.data_type() != data_type {
        return Err(format!(
            "it holds `{}` values where the function's schema declares {data_type}",
            column.kind.type_name()
        ));
    }
    Ok(array)
}

fn primitive<T: ArrowPrimitiveType>(
    bytes: &[u8],
    rows: usize,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    let values = ScalarBuffer::<T::Native>::new(Buffer::from_slice_ref(bytes), 0, rows);
    Arc::new(PrimitiveArray::<T>::new(values, nulls))
}

/// A checked column's `u32` offsets as Arrow's `i32` ones.
fn arrow_offsets(offsets: &[u8]) -> Result<OffsetBuffer<i32>, String> {
    let offsets: Vec<i32> = offsets
        .chunks_exact(4)
        .map(|bytes| i32::try_from(u32::from_le_bytes(bytes.try_into().expect("4 bytes"))))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            "its strings total over 2 GiB, more than an Arrow `Utf8` array holds".to_owned()
        })?;
    // The batch reader checked that they start at 0 and never decrease.
    Ok(OffsetBuffer::new(ScalarBuffer::from(offsets)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, UInt8Array};
    use wasmer_plugin_abi::{read_batch, write_batch_header};

    fn round_trip(kind: ColumnKind, array: &dyn Array) -> ArrayRef {
        let mut batch = Vec::new();
        write_batch_header(&mut batch, array.len(), 1);
        write_array(&mut batch, kind, array).unwrap();
        let (_, columns) = read_batch(&batch).unwrap();
        read_array(columns[0], array.data_type()).unwrap()
    }

    #[test]
    fn sliced_arrays_cross_with_their_nulls() {
        let ints = Int64Array::from(vec![
            Some(1),
            None,
            Some(3),
            Some(4),
            None,
            Some(6),
            Some(7),
            Some(8),
            None,
            Some(10),
        ]);
        let sliced = ints.slice(3, 6);
        assert_eq!(
            &round_trip(ColumnKind::I64, &sliced).to_data(),
            &sliced.to_data()
        );
        let strings = StringArray::from(vec![Some("a"), None, Some("ccc"), Some(""), Some("é")]);
        let sliced = strings.slice(1, 4);
        let back = round_trip(ColumnKind::Str, &sliced);
        assert_eq!(back.as_string::<i32>(), &sliced);
        let bools = BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
            Some(true),
            None,
            Some(false),
            Some(true),
            Some(false),
            Some(true),
        ]);
        let sliced = bools.slice(3, 7);
        assert_eq!(round_trip(ColumnKind::Bool, &sliced).as_boolean(), &sliced);
        let bytes = UInt8Array::from(vec![1, 2, 3]);
        assert_eq!(
            round_trip(ColumnKind::U8, &bytes).as_primitive::<UInt8Type>(),
            &bytes
        );
    }

    #[test]
    fn a_result_of_another_type_is_refused() {
        let ints = Int64Array::from(vec![1, 2]);
        let mut batch = Vec::new();
        write_batch_header(&mut batch, 2, 1);
        write_array(&mut batch, ColumnKind::I64, &ints).unwrap();
        let (_, columns) = read_batch(&batch).unwrap();
        let error = read_array(columns[0], &DataType::Utf8).unwrap_err();
        assert!(error.contains("`i64` values"), "{error}");
    }
}
