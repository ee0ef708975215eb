//! The body of a batch export: a plugin function applied to every row of
//! a batch of argument columns, its results written as one column
//! (docs/ABI.md, "Batches").
//!
//! A null in a column whose parameter is not an `Option` makes that row's
//! result null without calling the function, as SQL functions do.

use alloc::string::String;
use alloc::vec::Vec;

use wasmer_plugin_abi::{BatchError, Column, ColumnBuilder, ColumnKind, Values};

use super::exports::FunctionInfo;

/// An argument column as a batch's rows read it.
#[derive(Debug, Clone, Copy)]
pub struct ArgColumn<'a> {
    column: Column<'a>,
    /// A string column's data as one `str`, when all of it is UTF-8
    /// (checked once for the batch, rather than once for each row):
    /// a row's value is then valid where its ends fall between
    /// characters.
    text: Option<&'a str>,
}

impl ArgColumn<'_> {
    /// Whether the column has a validity bitmap (may hold nulls).
    #[inline]
    pub fn has_nulls(&self) -> bool {
        self.column.validity.is_some()
    }

    /// Whether row `row` holds a value.
    #[inline]
    pub fn is_valid(&self, row: usize) -> bool {
        self.column.is_valid(row)
    }
}

/// A parameter type a batch column holds.
pub trait ColumnArg<'a>: Sized {
    /// The column kind it is read from.
    const KIND: ColumnKind;

    /// What a column's values are read through, row after row, without
    /// the kind checks of [`get`](ColumnArg::get).
    type Dense: Copy;

    /// Row `row` of `column` (`index` in the batch, for messages): `None`
    /// for a null the parameter cannot take.
    fn get(column: &ArgColumn<'a>, index: usize, row: usize) -> Result<Option<Self>, BatchError>;

    /// `column`'s values as [`Dense`](ColumnArg::Dense) ones, when they
    /// can be read so (for text: when its data is UTF-8 as a whole).
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense>;

    /// Row `row` of values [`dense`](ColumnArg::dense) returned; the row
    /// holds a value (is not null).
    fn dense_get(column: Self::Dense, index: usize, row: usize) -> Result<Self, BatchError>;

    /// What the parameter takes for a null: `None` when it takes none,
    /// and the row's result is then null without a call.
    #[inline]
    fn null() -> Option<Self> {
        None
    }
}

/// The `u32` offsets of a string or bytes column, and its data.
#[derive(Debug)]
pub struct DenseVariable<'a, D: ?Sized> {
    offsets: &'a [[u8; 4]],
    data: &'a D,
}

// Two references, whatever `D` is (a derive would ask for `D: Copy`).
impl<D: ?Sized> Clone for DenseVariable<'_, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D: ?Sized> Copy for DenseVariable<'_, D> {}

impl<'a, D: ?Sized> DenseVariable<'a, D> {
    #[inline]
    fn range(&self, row: usize) -> core::ops::Range<usize> {
        u32::from_le_bytes(self.offsets[row]) as usize
            ..u32::from_le_bytes(self.offsets[row + 1]) as usize
    }
}

/// The offsets and data of `column`, if it is a string or bytes column.
#[inline]
fn dense_variable<'a>(column: &ArgColumn<'a>) -> Option<DenseVariable<'a, [u8]>> {
    match column.column.values {
        Values::Variable { offsets, data } => Some(DenseVariable {
            offsets: offsets.as_chunks().0,
            data,
        }),
        Values::Fixed(_) => None,
    }
}

macro_rules! fixed_args {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl<'a> ColumnArg<'a> for $ty {
            const KIND: ColumnKind = ColumnKind::$kind;
            type Dense = &'a [[u8; core::mem::size_of::<$ty>()]];

            #[inline]
            fn get(column: &ArgColumn<'a>, _: usize, row: usize) -> Result<Option<Self>, BatchError> {
                let column = &column.column;
                Ok(column
                    .is_valid(row)
                    .then(|| <$ty>::from_le_bytes(column.fixed(row))))
            }

            #[inline]
            fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
                match column.column.values {
                    Values::Fixed(bytes) => Some(bytes.as_chunks().0),
                    Values::Variable { .. } => None,
                }
            }

            #[inline]
            fn dense_get(column: Self::Dense, _: usize, row: usize) -> Result<Self, BatchError> {
                Ok(<$ty>::from_le_bytes(column[row]))
            }
        }

        impl ColumnReturn for $ty {
            const KIND: ColumnKind = ColumnKind::$kind;

            #[inline]
            fn push(self, out: &mut ColumnBuilder) {
                out.push_fixed(&self.to_le_bytes());
            }
        }
    )*};
}

fixed_args!(
    i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    f32 => F32, f64 => F64,
);

impl<'a> ColumnArg<'a> for bool {
    const KIND: ColumnKind = ColumnKind::Bool;
    type Dense = Column<'a>;

    #[inline]
    fn get(column: &ArgColumn<'a>, _: usize, row: usize) -> Result<Option<Self>, BatchError> {
        let column = &column.column;
        Ok(column.is_valid(row).then(|| column.bool(row)))
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        Some(column.column)
    }

    #[inline]
    fn dense_get(column: Self::Dense, _: usize, row: usize) -> Result<Self, BatchError> {
        Ok(column.bool(row))
    }
}

impl<'a> ColumnArg<'a> for &'a str {
    const KIND: ColumnKind = ColumnKind::Str;
    type Dense = DenseVariable<'a, str>;

    #[inline]
    fn get(column: &ArgColumn<'a>, index: usize, row: usize) -> Result<Option<Self>, BatchError> {
        if !column.column.is_valid(row) {
            return Ok(None);
        }
        let value = match column.text {
            Some(text) => text.get(column.column.value_range(row)),
            None => core::str::from_utf8(column.column.bytes(row)).ok(),
        };
        value
            .map(Some)
            .ok_or(BatchError::NotUtf8 { column: index, row })
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        let variable = dense_variable(column)?;
        Some(DenseVariable {
            offsets: variable.offsets,
            data: column.text?,
        })
    }

    #[inline]
    fn dense_get(column: Self::Dense, index: usize, row: usize) -> Result<Self, BatchError> {
        column
            .data
            .get(column.range(row))
            .ok_or(BatchError::NotUtf8 { column: index, row })
    }
}

impl<'a> ColumnArg<'a> for String {
    const KIND: ColumnKind = ColumnKind::Str;
    type Dense = DenseVariable<'a, str>;

    #[inline]
    fn get(column: &ArgColumn<'a>, index: usize, row: usize) -> Result<Option<Self>, BatchError> {
        <&str>::get(column, index, row).map(|value| value.map(String::from))
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        <&str>::dense(column)
    }

    #[inline]
    fn dense_get(column: Self::Dense, index: usize, row: usize) -> Result<Self, BatchError> {
        <&str>::dense_get(column, index, row).map(String::from)
    }
}

impl<'a> ColumnArg<'a> for &'a [u8] {
    const KIND: ColumnKind = ColumnKind::Bytes;
    type Dense = DenseVariable<'a, [u8]>;

    #[inline]
    fn get(column: &ArgColumn<'a>, _: usize, row: usize) -> Result<Option<Self>, BatchError> {
        let column = &column.column;
        Ok(column.is_valid(row).then(|| column.bytes(row)))
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        dense_variable(column)
    }

    #[inline]
    fn dense_get(column: Self::Dense, _: usize, row: usize) -> Result<Self, BatchError> {
        // In bounds: `read_columns` checked every offset against the data.
        Ok(&column.data[column.range(row)])
    }
}

impl<'a> ColumnArg<'a> for Vec<u8> {
    const KIND: ColumnKind = ColumnKind::Bytes;
    type Dense = DenseVariable<'a, [u8]>;

    #[inline]
    fn get(column: &ArgColumn<'a>, index: usize, row: usize) -> Result<Option<Self>, BatchError> {
        <&[u8]>::get(column, index, row).map(|value| value.map(<[u8]>::to_vec))
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        dense_variable(column)
    }

    #[inline]
    fn dense_get(column: Self::Dense, index: usize, row: usize) -> Result<Self, BatchError> {
        <&[u8]>::dense_get(column, index, row).map(<[u8]>::to_vec)
    }
}

/// An `Option` parameter takes a null as `None`.
impl<'a, T: ColumnArg<'a>> ColumnArg<'a> for Option<T> {
    const KIND: ColumnKind = T::KIND;
    type Dense = T::Dense;

    #[inline]
    fn get(column: &ArgColumn<'a>, index: usize, row: usize) -> Result<Option<Self>, BatchError> {
        T::get(column, index, row).map(Some)
    }

    #[inline]
    fn dense(column: &ArgColumn<'a>) -> Option<Self::Dense> {
        T::dense(column)
    }

    #[inline]
    fn dense_get(column: Self::Dense, index: usize, row: usize) -> Result<Self, BatchError> {
        T::dense_get(column, index, row).map(Some)
    }

    #[inline]
    fn null() -> Option<Self> {
        Some(None)
    }
}

/// A return type a batch's result column holds.
pub trait ColumnReturn: Sized {
    /// The column kind it is written as.
    const KIND: ColumnKind;

    /// Appends the value as the next row.
    fn push(self, out: &mut ColumnBuilder);
}

impl ColumnReturn for bool {
    const KIND: ColumnKind = ColumnKind::Bool;

    #[inline]
    fn push(self, out: &mut ColumnBuilder) {
        out.push_bool(self);
    }
}

impl ColumnReturn for String {
    const KIND: ColumnKind = ColumnKind::Str;

    #[inline]
    fn push(self, out: &mut ColumnBuilder) {
        out.push_bytes(self.as_bytes());
    }
}

impl ColumnReturn for Vec<u8> {
    const KIND: ColumnKind = ColumnKind::Bytes;

    #[inline]
    fn push(self, out: &mut ColumnBuilder) {
        out.push_bytes(&self);
    }
}

/// An `Option` result's `None` is a null.
impl<T: ColumnReturn> ColumnReturn for Option<T> {
    const KIND: ColumnKind = T::KIND;

    #[inline]
    fn push(self, out: &mut ColumnBuilder) {
        match self {
            Some(value) => value.push(out),
            None => out.push_null(),
        }
    }
}

/// Where a batch call records the row it is about to run (the batch
/// header's row field), for the host to name the row of a trap.
pub struct RowMarker {
    /// The header's row field, inside the caller's batch.
    slot: *mut u32,
}

impl RowMarker {
    /// Records `row` as the one running.
    #[inline]
    pub fn mark(&self, row: usize) {
        // SAFETY: a `RowMarker` is made only by `run` (its field is
        // private), from a pointer 4 bytes inside the batch header that
        // `run`'s caller guarantees writable until `run` returns, and it is
        // lent (never given) to code `run` calls, so it does not outlive
        // that. No reference covers those bytes; the write is unaligned.
        // Rows are counted by a `u32` in the header.
        unsafe { self.slot.write_unaligned((row as u32).to_le()) }
    }
}

/// The body of every generated batch export: reads the argument columns,
/// checks their kinds against `kinds`, runs the function on every row
/// (marking the row first, for the host to name a row that traps), and
/// publishes the result column.
///
/// `dense_rows` runs every row straight into the result, each column's
/// values read as a slice (with one loop for columns without nulls and
/// one that tests each row's validity bits); it returns `None` when a
/// column cannot be read so (text whose data is not UTF-8 as a whole),
/// and then `row` runs each row instead, returning `None` for a row
/// whose result is null without a call.
///
/// Outside wasm32 nothing calls an export; this panics without touching
/// any guest state.
///
/// # Safety
/// `input` must point to `len` bytes the host wrote and leaves alone
/// until this returns, or `len` must be 0. No other call
/// into the runtime may be running.
pub unsafe fn run_batch<R, F, D>(
    function: &FunctionInfo,
    input: *mut u8,
    len: usize,
    kinds: &[ColumnKind],
    row: F,
    dense_rows: D,
) -> *const u8
where
    R: ColumnReturn,
    F: for<'a> FnMut(&[ArgColumn<'a>], usize) -> Result<Option<R>, BatchError>,
    D: for<'a> FnMut(
        &[ArgColumn<'a>],
        usize,
        &mut ColumnBuilder,
        &RowMarker,
    ) -> Option<Result<(), BatchError>>,
{
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the caller's contract, forwarded.
        unsafe { guest::run::<R, F, D>(function, input, len, kinds, row, dense_rows) }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (function, input, len, kinds, row, dense_rows);
        panic!("plugin exports run only inside a wasm32 guest, called by a wasmer-plugin host")
    }
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use alloc::vec::Vec;

    use wasmer_plugin_abi::{
        BATCH_HEADER_SIZE, BATCH_ROW_OFFSET, BatchError, BatchHeader, Column, ColumnBuilder,
        ColumnKind, NO_ROW, Status, Values, read_columns, write_column, write_output_header,
    };

    use super::{ArgColumn, ColumnReturn, FunctionInfo, RowMarker};
    use crate::guest::cell::GuestCell;
    use crate::guest::message::write_message;
    use crate::guest::slot::publish;

    // Only a wasm32 guest reads batches.
    impl<'a> ArgColumn<'a> {
        /// `column`, its data checked as text if it is a string column.
        fn new(column: Column<'a>) -> ArgColumn<'a> {
            let text = match (column.kind, column.values) {
                // Data under a null row may be anything (an Arrow array
                // keeps what it held): data that is not UTF-8 as a whole
                // is checked row by row, at the rows that hold values.
                (ColumnKind::Str, Values::Variable { data, .. }) => core::str::from_utf8(data).ok(),
                _ => None,
            };
            ArgColumn { column, text }
        }
    }

    /// The output of the last batch call, kept for the host to copy until
    /// the next call, as the row exports' output is.
    static OUTPUT: GuestCell<Vec<u8>> = GuestCell::new(Vec::new());

    /// The result column being built, kept between calls with its
    /// buffers, so that batches no larger than earlier ones allocate
    /// nothing.
    static RESULT: GuestCell<Option<ColumnBuilder>> = GuestCell::new(None);

    /// Output capacity kept between calls, in the output buffer and in
    /// each of the result column's buffers; a larger buffer is released
    /// at the start of the next call, so that one huge batch does not pin
    /// its memory.
    const RETAINED_OUTPUT_CAPACITY: usize = 4 * 1024 * 1024;

    /// [`run_batch`](super::run_batch) in a guest.
    ///
    /// # Safety
    /// As for `run_batch`.
    pub(super) unsafe fn run<R, F, D>(
        function: &FunctionInfo,
        input: *mut u8,
        len: usize,
        kinds: &[ColumnKind],
        mut row: F,
        mut dense_rows: D,
    ) -> *const u8
    where
        R: ColumnReturn,
        F: for<'a> FnMut(&[ArgColumn<'a>], usize) -> Result<Option<R>, BatchError>,
        D: for<'a> FnMut(
            &[ArgColumn<'a>],
            usize,
            &mut ColumnBuilder,
            &RowMarker,
        ) -> Option<Result<(), BatchError>>,
    {
        crate::guest::panic::install_hook();
        let outcome = if len < BATCH_HEADER_SIZE {
            Err(BatchError::Truncated {
                what: "the batch header",
                offset: 0,
                needed: BATCH_HEADER_SIZE,
            })
        } else {
            let mut header = [0u8; BATCH_HEADER_SIZE];
            // SAFETY: the caller guarantees `len` (at least the header's
            // size, checked above) readable bytes at `input`.
            unsafe { core::ptr::copy_nonoverlapping(input, header.as_mut_ptr(), header.len()) };
            let header = BatchHeader::read(&header);
            // SAFETY: the bytes after the header are among the `len` the
            // caller guarantees, untouched by anyone else until this
            // returns. The header itself is not covered by this slice: it
            // is written below, through the raw pointer.
            let body = unsafe {
                core::slice::from_raw_parts(input.add(BATCH_HEADER_SIZE), len - BATCH_HEADER_SIZE)
            };
            // The row being run goes into the header, where the host
            // looks after a trap.
            let marker = RowMarker {
                // SAFETY: `BATCH_ROW_OFFSET` is inside the header, whose
                // size is among the caller's `len` bytes (checked above).
                slot: unsafe { input.add(BATCH_ROW_OFFSET) }.cast::<u32>(),
            };
            // SAFETY: one thread (see `GuestCell`), and no other call into
            // the runtime is running (the caller's contract); the user's
            // function, called below, cannot reach this static.
            let result = unsafe { &mut *RESULT.get() };
            if result
                .as_ref()
                .is_some_and(|result| result.data_len() > RETAINED_OUTPUT_CAPACITY)
            {
                *result = None;
            }
            let result = match result {
                Some(result) => {
                    result.reset(R::KIND);
                    result
                }
                // Room for the rows up front, within reason: a function
                // without arguments has no column whose size vouches for
                // the row count.
                empty => empty.insert(ColumnBuilder::new(R::KIND, header.rows.min(1 << 16))),
            };
            let outcome = run_rows(
                header,
                body,
                kinds,
                &mut row,
                &mut dense_rows,
                result,
                &marker,
            );
            if outcome.is_ok() {
                // Every row ran: a failure the host finds in the output
                // is no row's.
                marker.mark(NO_ROW as usize);
            }
            outcome.map(|()| &*result)
        };

        // SAFETY: one thread (see `GuestCell`). The user's function has
        // returned on every row, so this is the only reference.
        let out = unsafe { &mut *OUTPUT.get() };
        if out.capacity() > RETAINED_OUTPUT_CAPACITY {
            *out = Vec::new();
        }
        out.clear();
        let status = match outcome {
            Ok(column) => {
                write_output_header(out, column.rows());
                write_column(out, &column.column());
                Status::Ok
            }
            Err(err) => {
                write_message(
                    out,
                    format_args!("cannot read a batch of `{}`: {err}", function.args),
                );
                Status::DecodeError
            }
        };
        publish(out.as_ptr(), out.len(), status)
    }

    fn run_rows<R, F, D>(
        header: BatchHeader,
        body: &[u8],
        kinds: &[ColumnKind],
        row: &mut F,
        dense_rows: &mut D,
        out: &mut ColumnBuilder,
        marker: &RowMarker,
    ) -> Result<(), BatchError>
    where
        R: ColumnReturn,
        F: for<'a> FnMut(&[ArgColumn<'a>], usize) -> Result<Option<R>, BatchError>,
        D: for<'a> FnMut(
            &[ArgColumn<'a>],
            usize,
            &mut ColumnBuilder,
            &RowMarker,
        ) -> Option<Result<(), BatchError>>,
    {
        if header.columns != kinds.len() {
            return Err(BatchError::CountMismatch {
                what: "columns",
                expected: kinds.len(),
                found: header.columns,
            });
        }
        let columns = read_columns(header, body, BATCH_HEADER_SIZE)?;
        for (index, (column, &expected)) in columns.iter().zip(kinds).enumerate() {
            if column.kind != expected {
                return Err(BatchError::KindMismatch {
                    column: index,
                    expected,
                    found: column.kind,
                });
            }
        }
        let columns: Vec<ArgColumn<'_>> = columns.into_iter().map(ArgColumn::new).collect();
        if let Some(outcome) = dense_rows(&columns, header.rows, out, marker) {
            return outcome;
        }
        for index in 0..header.rows {
            marker.mark(index);
            match row(&columns, index)? {
                Some(value) => value.push(out),
                None => out.push_null(),
            }
        }
        Ok(())
    }
}
