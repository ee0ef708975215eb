//! The column layout of a batch call (docs/ABI.md, "Batches"): a plugin
//! function applied to every row of a batch in one call, its arguments
//! and result as columns rather than encoded rows.
//!
//! The layout is codec-independent and close to Arrow's, so that a host
//! holding Arrow arrays copies buffers rather than encoding values: a
//! validity bitmap (least significant bit first, 1 for a value), fixed-width
//! values little-endian, booleans as a bitmap, strings and bytes as `rows +
//! 1` `u32` offsets and their data. Every section starts at a multiple of
//! [`BATCH_ALIGN`] from the start of the batch.

use alloc::vec::Vec;
use core::fmt;

use crate::le::read_u32;

/// Since ABI version 6, plugin function `name` may have a batch export
/// `BATCH_EXPORT_PREFIX + name`, `(ptr: i32, len: i32) -> i32`: it takes a
/// batch of argument columns and returns the result column, reporting its
/// length and status in the slot as a function export of a record older
/// than [`DIRECT_REPLY_VERSION`](crate::DIRECT_REPLY_VERSION) does (in
/// every version, batch exports keep that form). Functions
/// whose arguments or result are not column types have none; a host
/// calls them row by row.
pub const BATCH_EXPORT_PREFIX: &str = "__wasmer_plugin_batch_";

/// The batch export of plugin function `name`.
pub fn batch_export_name(name: &str) -> alloc::string::String {
    let mut export = alloc::string::String::from(BATCH_EXPORT_PREFIX);
    export.push_str(name);
    export
}

/// Bytes of a batch's header: `rows: u32`, `columns: u32`, `row: u32`,
/// `reserved: u32`.
pub const BATCH_HEADER_SIZE: usize = 16;

/// Offset in the batch header of the row the guest is running: the host
/// writes [`NO_ROW`], the guest the index of each row before it calls the
/// function on it, so that after a trap the host names the failing row.
pub const BATCH_ROW_OFFSET: usize = 8;

/// The header's `row` before the guest runs any row.
pub const NO_ROW: u32 = u32::MAX;

/// Bytes of a batch output's header: `rows: u32`, `reserved: u32`; one
/// column follows.
pub const BATCH_OUTPUT_HEADER_SIZE: usize = 8;

/// Bytes of a column's header: `kind: u32`, `flags: u32`.
pub const COLUMN_HEADER_SIZE: usize = 8;

/// Column flag: a validity bitmap follows the header. Without it every
/// row holds a value.
pub const COLUMN_HAS_VALIDITY: u32 = 1;

/// Every section of a batch (a column header, a bitmap, values, offsets,
/// data) starts at a multiple of this from the start of the batch; the
/// bytes between are zero.
pub const BATCH_ALIGN: usize = 8;

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnKind {
    /// `bool`, one bit per row.
    Bool,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// UTF-8 strings: `String` or `&str`.
    Str,
    /// Byte strings: `Vec<u8>` or `&[u8]`.
    Bytes,
}

impl ColumnKind {
    /// Every kind, in code order.
    pub const ALL: [ColumnKind; 13] = [
        ColumnKind::Bool,
        ColumnKind::I8,
        ColumnKind::I16,
        ColumnKind::I32,
        ColumnKind::I64,
        ColumnKind::U8,
        ColumnKind::U16,
        ColumnKind::U32,
        ColumnKind::U64,
        ColumnKind::F32,
        ColumnKind::F64,
        ColumnKind::Str,
        ColumnKind::Bytes,
    ];

    /// The kind's code in a column header.
    pub const fn code(self) -> u32 {
        match self {
            ColumnKind::Bool => 1,
            ColumnKind::I8 => 2,
            ColumnKind::I16 => 3,
            ColumnKind::I32 => 4,
            ColumnKind::I64 => 5,
            ColumnKind::U8 => 6,
            ColumnKind::U16 => 7,
            ColumnKind::U32 => 8,
            ColumnKind::U64 => 9,
            ColumnKind::F32 => 10,
            ColumnKind::F64 => 11,
            ColumnKind::Str => 12,
            ColumnKind::Bytes => 13,
        }
    }

    /// The kind of `code`, if it names one.
    pub fn from_code(code: u32) -> Option<ColumnKind> {
        ColumnKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Bytes per value of a fixed-width kind; `None` for booleans (bits)
    /// and for strings and bytes (offsets and data).
    pub const fn width(self) -> Option<usize> {
        match self {
            ColumnKind::I8 | ColumnKind::U8 => Some(1),
            ColumnKind::I16 | ColumnKind::U16 => Some(2),
            ColumnKind::I32 | ColumnKind::U32 | ColumnKind::F32 => Some(4),
            ColumnKind::I64 | ColumnKind::U64 | ColumnKind::F64 => Some(8),
            ColumnKind::Bool | ColumnKind::Str | ColumnKind::Bytes => None,
        }
    }

    /// Whether values are strings or bytes: offsets and data.
    pub const fn is_variable(self) -> bool {
        matches!(self, ColumnKind::Str | ColumnKind::Bytes)
    }

    /// The Rust type of its values, for messages.
    pub const fn type_name(self) -> &'static str {
        match self {
            ColumnKind::Bool => "bool",
            ColumnKind::I8 => "i8",
            ColumnKind::I16 => "i16",
            ColumnKind::I32 => "i32",
            ColumnKind::I64 => "i64",
            ColumnKind::U8 => "u8",
            ColumnKind::U16 => "u16",
            ColumnKind::U32 => "u32",
            ColumnKind::U64 => "u64",
            ColumnKind::F32 => "f32",
            ColumnKind::F64 => "f64",
            ColumnKind::Str => "String",
            ColumnKind::Bytes => "Vec<u8>",
        }
    }
}

/// The values of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values<'a> {
    /// `rows × width` bytes of a fixed-width kind, or the `ceil(rows / 8)`
    /// bytes of a boolean bitmap.
    Fixed(&'a [u8]),
    /// Strings or bytes: `rows + 1` little-endian `u32` offsets into
    /// `data`, the first 0 and the last `data.len()`, never decreasing.
    Variable {
        /// The offsets' bytes.
        offsets: &'a [u8],
        /// The values, end to end.
        data: &'a [u8],
    },
}

/// One column of a batch, read or to be written. A column read by
/// [`read_batch`] or [`read_output`] has been checked: every row's value
/// is in bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'a> {
    /// The type of its values.
    pub kind: ColumnKind,
    /// Rows in the column.
    pub rows: usize,
    /// `ceil(rows / 8)` bytes, bit `i` set when row `i` holds a value;
    /// `None` when every row does.
    pub validity: Option<&'a [u8]>,
    /// Its values; a null row's value is a placeholder (zero, `false`, or
    /// empty).
    pub values: Values<'a>,
}

impl<'a> Column<'a> {
    /// Whether row `row` holds a value rather than a null.
    #[inline]
    pub fn is_valid(&self, row: usize) -> bool {
        match self.validity {
            None => true,
            Some(bits) => bit(bits, row),
        }
    }

    /// The `N` little-endian bytes of row `row` of a fixed-width column.
    #[inline]
    pub fn fixed<const N: usize>(&self, row: usize) -> [u8; N] {
        match self.values {
            Values::Fixed(bytes) => {
                let start = row * N;
                bytes[start..start + N].try_into().expect("N bytes")
            }
            Values::Variable { .. } => [0; N],
        }
    }

    /// Row `row` of a boolean column.
    #[inline]
    pub fn bool(&self, row: usize) -> bool {
        match self.values {
            Values::Fixed(bits) => bit(bits, row),
            Values::Variable { .. } => false,
        }
    }

    /// The bytes of row `row` of a string or bytes column.
    #[inline]
    pub fn bytes(&self, row: usize) -> &'a [u8] {
        match self.values {
            Values::Variable { data, .. } => &data[self.value_range(row)],
            Values::Fixed(_) => &[],
        }
    }

    /// Where the bytes of row `row` of a string or bytes column lie in
    /// its data (empty for other kinds).
    #[inline]
    pub fn value_range(&self, row: usize) -> core::ops::Range<usize> {
        match self.values {
            Values::Variable { offsets, .. } => {
                read_u32(offsets, row * 4) as usize..read_u32(offsets, row * 4 + 4) as usize
            }
            Values::Fixed(_) => 0..0,
        }
    }
}

#[inline]
fn bit(bits: &[u8], index: usize) -> bool {
    bits[index / 8] & (1 << (index % 8)) != 0
}

/// Bytes of a bitmap of `rows` bits.
pub const fn bitmap_len(rows: usize) -> usize {
    rows.div_ceil(8)
}

/// Why a batch or a batch output could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchError {
    /// The bytes end inside an item.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Its byte offset in the batch.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
    },
    /// A column header names a kind this version does not define.
    UnknownKind {
        /// The column's index.
        column: usize,
        /// The code it names.
        code: u32,
    },
    /// A column header sets flags this version does not define.
    UnknownFlags {
        /// The column's index.
        column: usize,
        /// The flags it sets.
        flags: u32,
    },
    /// A string or bytes column's offsets do not start at 0, decrease, or
    /// end past its data.
    BadOffsets {
        /// The column's index.
        column: usize,
        /// The first row whose offsets are wrong.
        row: usize,
    },
    /// A column holds another type than the function's.
    KindMismatch {
        /// The column's index.
        column: usize,
        /// The function's type.
        expected: ColumnKind,
        /// The column's.
        found: ColumnKind,
    },
    /// A batch has another number of columns, or an output another number
    /// of rows, than expected.
    CountMismatch {
        /// What was counted: "columns" or "rows".
        what: &'static str,
        /// The number expected.
        expected: usize,
        /// The number found.
        found: usize,
    },
    /// A string column's value is not UTF-8.
    NotUtf8 {
        /// The column's index.
        column: usize,
        /// The row.
        row: usize,
    },
    /// Bytes follow the last column.
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Truncated {
                what,
                offset,
                needed,
            } => write!(
                f,
                "the batch ends inside {what} (at byte {offset}, {needed} bytes needed)"
            ),
            BatchError::UnknownKind { column, code } => {
                write!(f, "column {column} has unknown kind {code}")
            }
            BatchError::UnknownFlags { column, flags } => {
                write!(f, "column {column} sets unknown flags {flags:#x}")
            }
            BatchError::BadOffsets { column, row } => write!(
                f,
                "column {column}'s offsets are out of order or past its data at row {row}"
            ),
            BatchError::KindMismatch {
                column,
                expected,
                found,
            } => write!(
                f,
                "column {column} holds `{}` values where the function takes `{}`",
                found.type_name(),
                expected.type_name()
            ),
            BatchError::CountMismatch {
                what,
                expected,
                found,
            } => write!(f, "expected {expected} {what}, found {found}"),
            BatchError::NotUtf8 { column, row } => {
                write!(f, "row {row} of string column {column} is not UTF-8")
            }
            BatchError::TrailingBytes { extra } => {
                write!(f, "{extra} bytes follow the last column")
            }
        }
    }
}

impl core::error::Error for BatchError {}

/// The header of a batch: its rows and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Rows in every column.
    pub rows: usize,
    /// Columns, one per argument.
    pub columns: usize,
}

impl BatchHeader {
    /// Reads the header at the start of a batch.
    pub fn read(header: &[u8; BATCH_HEADER_SIZE]) -> BatchHeader {
        BatchHeader {
            rows: read_u32(header, 0) as usize,
            columns: read_u32(header, 4) as usize,
        }
    }
}

/// Appends a batch header for `rows` rows and `columns` columns to `out`,
/// which must be empty (offsets count from the batch's start); the
/// columns follow with [`write_column`].
pub fn write_batch_header(out: &mut Vec<u8>, rows: usize, columns: usize) {
    debug_assert!(out.is_empty(), "a batch starts its buffer");
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    out.extend_from_slice(&(columns as u32).to_le_bytes());
    out.extend_from_slice(&NO_ROW.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
}

/// Appends a batch output header for `rows` rows to `out`, which must be
/// empty; the result column follows with [`write_column`].
pub fn write_output_header(out: &mut Vec<u8>, rows: usize) {
    debug_assert!(out.is_empty(), "an output starts its buffer");
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
}

/// Appends `column` to the batch or output in `out`.
pub fn write_column(out: &mut Vec<u8>, column: &Column<'_>) {
    pad(out);
    let flags = if column.validity.is_some() {
        COLUMN_HAS_VALIDITY
    } else {
        0
    };
    out.extend_from_slice(&column.kind.code().to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    if let Some(validity) = column.validity {
        out.extend_from_slice(validity);
        pad(out);
    }
    match column.values {
        Values::Fixed(bytes) => out.extend_from_slice(bytes),
        Values::Variable { offsets, data } => {
            out.extend_from_slice(offsets);
            pad(out);
            out.extend_from_slice(data);
        }
    }
}

/// Zeroes up to the next multiple of [`BATCH_ALIGN`].
fn pad(out: &mut Vec<u8>) {
    let padded = out.len().next_multiple_of(BATCH_ALIGN);
    out.resize(padded, 0);
}

/// Reads the columns of a whole batch: its header, then
/// `header.columns` columns of `header.rows` rows each.
pub fn read_batch(batch: &[u8]) -> Result<(BatchHeader, Vec<Column<'_>>), BatchError> {
    let header: &[u8; BATCH_HEADER_SIZE] = batch
        .get(..BATCH_HEADER_SIZE)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(BatchError::Truncated {
            what: "the batch header",
            offset: 0,
            needed: BATCH_HEADER_SIZE,
        })?;
    let header = BatchHeader::read(header);
    let columns = read_columns(header, &batch[BATCH_HEADER_SIZE..], BATCH_HEADER_SIZE)?;
    Ok((header, columns))
}

/// Reads the columns of a batch from `body`, the bytes after its header
/// (which starts at offset `start` of the batch, for alignment and
/// messages). The columns borrow from `body`.
pub fn read_columns(
    header: BatchHeader,
    body: &[u8],
    start: usize,
) -> Result<Vec<Column<'_>>, BatchError> {
    let mut reader = Reader {
        bytes: body,
        at: 0,
        start,
    };
    // A hostile header's column count must not size an allocation.
    let mut columns = Vec::with_capacity(header.columns.min(64));
    for index in 0..header.columns {
        columns.push(reader.column(index, header.rows)?);
    }
    reader.finish()?;
    Ok(columns)
}

/// Reads a batch output: its header and its one column.
pub fn read_output(output: &[u8]) -> Result<Column<'_>, BatchError> {
    let header = output
        .get(..BATCH_OUTPUT_HEADER_SIZE)
        .ok_or(BatchError::Truncated {
            what: "the output header",
            offset: 0,
            needed: BATCH_OUTPUT_HEADER_SIZE,
        })?;
    let rows = read_u32(header, 0) as usize;
    let mut reader = Reader {
        bytes: &output[BATCH_OUTPUT_HEADER_SIZE..],
        at: 0,
        start: BATCH_OUTPUT_HEADER_SIZE,
    };
    let column = reader.column(0, rows)?;
    reader.finish()?;
    Ok(column)
}

/// Reads sections from the bytes after a header.
struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset in `bytes`.
    at: usize,
    /// Offset of `bytes` in the batch.
    start: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, what: &'static str, len: usize) -> Result<&'a [u8], BatchError> {
        let truncated = BatchError::Truncated {
            what,
            offset: self.start + self.at,
            needed: len,
        };
        let end = self.at.checked_add(len).ok_or(truncated.clone())?;
        let bytes = self.bytes.get(self.at..end).ok_or(truncated)?;
        self.at = end;
        Ok(bytes)
    }

    /// Skips the padding before the next section.
    fn align(&mut self) -> Result<(), BatchError> {
        let offset = self.start + self.at;
        let padding = offset.next_multiple_of(BATCH_ALIGN) - offset;
        if self.at + padding > self.bytes.len() {
            // Padding after the last section may be left out.
            self.at = self.bytes.len();
            return Ok(());
        }
        self.at += padding;
        Ok(())
    }

    fn column(&mut self, index: usize, rows: usize) -> Result<Column<'a>, BatchError> {
        self.align()?;
        let header = self.take("a column header", COLUMN_HEADER_SIZE)?;
        let code = read_u32(header, 0);
        let flags = read_u32(header, 4);
        let kind = ColumnKind::from_code(code).ok_or(BatchError::UnknownKind {
            column: index,
            code,
        })?;
        if flags & !COLUMN_HAS_VALIDITY != 0 {
            return Err(BatchError::UnknownFlags {
                column: index,
                flags,
            });
        }
        let validity = if flags & COLUMN_HAS_VALIDITY != 0 {
            let bits = self.take("a validity bitmap", bitmap_len(rows))?;
            self.align()?;
            Some(bits)
        } else {
            None
        };
        let values = match kind.width() {
            Some(width) => {
                let len = rows.checked_mul(width).ok_or(BatchError::Truncated {
                    what: "a column's values",
                    offset: self.start + self.at,
                    needed: usize::MAX,
                })?;
                Values::Fixed(self.take("a column's values", len)?)
            }
            None if kind == ColumnKind::Bool => {
                Values::Fixed(self.take("a boolean bitmap", bitmap_len(rows))?)
            }
            None => {
                let len = rows
                    .checked_add(1)
                    .and_then(|count| count.checked_mul(4))
                    .ok_or(BatchError::Truncated {
                        what: "a column's offsets",
                        offset: self.start + self.at,
                        needed: usize::MAX,
                    })?;
                let offsets = self.take("a column's offsets", len)?;
                let mut previous = 0;
                for row in 0..=rows {
                    let offset = read_u32(offsets, row * 4);
                    if (row == 0 && offset != 0) || offset < previous {
                        return Err(BatchError::BadOffsets {
                            column: index,
                            row: row.saturating_sub(1),
                        });
                    }
                    previous = offset;
                }
                self.align()?;
                let data = self.take("a column's data", previous as usize)?;
                Values::Variable { offsets, data }
            }
        };
        Ok(Column {
            kind,
            rows,
            validity,
            values,
        })
    }

    fn finish(&mut self) -> Result<(), BatchError> {
        let extra = self.bytes.len() - self.at;
        // Padding to the alignment is not trailing data.
        if extra >= BATCH_ALIGN || self.bytes[self.at..].iter().any(|&byte| byte != 0) {
            return Err(BatchError::TrailingBytes { extra });
        }
        Ok(())
    }
}

/// Builds a column row by row.
#[derive(Debug, Clone)]
pub struct ColumnBuilder {
    kind: ColumnKind,
    rows: usize,
    nulls: usize,
    validity: Vec<u8>,
    values: Vec<u8>,
    offsets: Vec<u8>,
}

impl ColumnBuilder {
    /// An empty column of `kind`, with room for `rows` rows.
    pub fn new(kind: ColumnKind, rows: usize) -> ColumnBuilder {
        let values = match kind.width() {
            Some(width) => rows * width,
            None if kind == ColumnKind::Bool => bitmap_len(rows),
            None => 0,
        };
        let mut offsets = Vec::new();
        if kind.is_variable() {
            offsets.reserve((rows + 1) * 4);
            offsets.extend_from_slice(&0u32.to_le_bytes());
        }
        ColumnBuilder {
            kind,
            rows: 0,
            nulls: 0,
            validity: Vec::with_capacity(bitmap_len(rows)),
            values: Vec::with_capacity(values),
            offsets,
        }
    }

    /// Empties the column and makes it one of `kind`, keeping its
    /// buffers' capacity: a builder reused call after call allocates only
    /// when a batch is larger than any before.
    pub fn reset(&mut self, kind: ColumnKind) {
        self.kind = kind;
        self.rows = 0;
        self.nulls = 0;
        self.validity.clear();
        self.values.clear();
        self.offsets.clear();
        if kind.is_variable() {
            self.offsets.extend_from_slice(&0u32.to_le_bytes());
        }
    }

    /// The kind of its values.
    pub fn kind(&self) -> ColumnKind {
        self.kind
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Records row `self.rows` as holding a value or a null. Until the
    /// first null the bitmap is not written (a column without nulls has
    /// none): the first null writes the bits of the rows before it.
    #[inline]
    fn push_validity(&mut self, valid: bool) {
        if valid && self.nulls == 0 {
            return;
        }
        if self.nulls == 0 {
            self.validity.clear();
            self.validity.resize(self.rows / 8, 0xff);
            if !self.rows.is_multiple_of(8) {
                self.validity.push((1u8 << (self.rows % 8)) - 1);
            }
        }
        if self.rows.is_multiple_of(8) {
            self.validity.push(0);
        }
        if valid {
            *self.validity.last_mut().expect("pushed above") |= 1 << (self.rows % 8);
        } else {
            self.nulls += 1;
        }
    }

    /// Appends a fixed-width value's little-endian bytes.
    #[inline]
    pub fn push_fixed(&mut self, bytes: &[u8]) {
        debug_assert_eq!(Some(bytes.len()), self.kind.width());
        self.push_validity(true);
        self.values.extend_from_slice(bytes);
        self.rows += 1;
    }

    /// Appends a boolean.
    #[inline]
    pub fn push_bool(&mut self, value: bool) {
        debug_assert_eq!(self.kind, ColumnKind::Bool);
        self.push_validity(true);
        self.push_bit(value);
        self.rows += 1;
    }

    fn push_bit(&mut self, value: bool) {
        if self.rows.is_multiple_of(8) {
            self.values.push(0);
        }
        if value {
            *self.values.last_mut().expect("pushed above") |= 1 << (self.rows % 8);
        }
    }

    /// Appends a string's or a byte string's bytes.
    #[inline]
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        debug_assert!(self.kind.is_variable());
        self.push_validity(true);
        self.values.extend_from_slice(bytes);
        self.offsets
            .extend_from_slice(&(self.values.len() as u32).to_le_bytes());
        self.rows += 1;
    }

    /// Appends a null.
    pub fn push_null(&mut self) {
        self.push_validity(false);
        match self.kind.width() {
            Some(width) => self.values.resize(self.values.len() + width, 0),
            None if self.kind == ColumnKind::Bool => self.push_bit(false),
            None => self
                .offsets
                .extend_from_slice(&(self.values.len() as u32).to_le_bytes()),
        }
        self.rows += 1;
    }

    /// The column built so far; its validity bitmap only if a row is null.
    pub fn column(&self) -> Column<'_> {
        Column {
            kind: self.kind,
            rows: self.rows,
            validity: (self.nulls > 0).then_some(&self.validity[..]),
            values: if self.kind.is_variable() {
                Values::Variable {
                    offsets: &self.offsets,
                    data: &self.values,
                }
            } else {
                Values::Fixed(&self.values)
            },
        }
    }

    /// Bytes its values take (for strings and bytes, their data, which
    /// `u32` offsets address: a column holds at most 4 GiB of it, all a
    /// wasm32 guest's memory).
    pub fn data_len(&self) -> usize {
        self.values.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_of(columns: &[Column<'_>], rows: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_batch_header(&mut out, rows, columns.len());
        for column in columns {
            write_column(&mut out, column);
        }
        out
    }

    #[test]
    fn columns_round_trip_through_the_layout() {
        let mut ints = ColumnBuilder::new(ColumnKind::I64, 3);
        ints.push_fixed(&7i64.to_le_bytes());
        ints.push_null();
        ints.push_fixed(&(-1i64).to_le_bytes());
        let mut strings = ColumnBuilder::new(ColumnKind::Str, 3);
        strings.push_bytes(b"a");
        strings.push_bytes(b"");
        strings.push_bytes("héllo".as_bytes());
        let mut bools = ColumnBuilder::new(ColumnKind::Bool, 3);
        bools.push_bool(true);
        bools.push_bool(false);
        bools.push_null();
        let batch = batch_of(&[ints.column(), strings.column(), bools.column()], 3);
        let (header, columns) = read_batch(&batch).unwrap();
        assert_eq!((header.rows, header.columns), (3, 3));
        assert_eq!(columns[0], ints.column());
        assert_eq!(columns[1], strings.column());
        assert_eq!(columns[2], bools.column());
        assert_eq!(i64::from_le_bytes(columns[0].fixed(2)), -1);
        assert!(!columns[0].is_valid(1));
        assert_eq!(columns[1].bytes(2), "héllo".as_bytes());
        assert!(columns[2].bool(0) && !columns[2].bool(1) && !columns[2].is_valid(2));
        assert!(columns[1].validity.is_none(), "no bitmap without a null");
    }

    #[test]
    fn a_first_null_after_values_writes_their_bits() {
        // A null at every position of the first bytes, and none at all.
        for first_null in [0, 1, 7, 8, 9, 16, 20, usize::MAX] {
            let mut ints = ColumnBuilder::new(ColumnKind::I32, 4);
            let nulls: Vec<bool> = (0..24).map(|row| row == first_null || row == 22).collect();
            for (row, &null) in nulls.iter().enumerate() {
                if null {
                    ints.push_null();
                } else {
                    ints.push_fixed(&(row as i32).to_le_bytes());
                }
            }
            let column = ints.column();
            assert_eq!(column.rows, 24);
            for (row, &null) in nulls.iter().enumerate() {
                assert_eq!(
                    column.is_valid(row),
                    !null,
                    "row {row}, first null {first_null}"
                );
            }
            assert_eq!(column.validity.map(<[u8]>::len), Some(3));
            ints.reset(ColumnKind::I32);
            ints.push_fixed(&1i32.to_le_bytes());
            assert!(ints.column().validity.is_none(), "a reset drops the bitmap");
        }
    }

    #[test]
    fn an_output_round_trips() {
        let mut result = ColumnBuilder::new(ColumnKind::F64, 2);
        result.push_fixed(&1.5f64.to_le_bytes());
        result.push_null();
        let mut out = Vec::new();
        write_output_header(&mut out, 2);
        write_column(&mut out, &result.column());
        assert_eq!(read_output(&out).unwrap(), result.column());
    }

    #[test]
    fn damaged_batches_are_refused_with_the_reason() {
        let mut strings = ColumnBuilder::new(ColumnKind::Str, 2);
        strings.push_bytes(b"ab");
        strings.push_bytes(b"c");
        let good = batch_of(&[strings.column()], 2);
        assert!(read_batch(&good).is_ok());

        for cut in [0, 10, 20, good.len() - 1] {
            assert!(
                matches!(read_batch(&good[..cut]), Err(BatchError::Truncated { .. })),
                "cut at {cut}"
            );
        }
        let mut unknown = good.clone();
        unknown[16] = 99;
        assert_eq!(
            read_batch(&unknown),
            Err(BatchError::UnknownKind {
                column: 0,
                code: 99
            })
        );
        let mut flags = good.clone();
        flags[20] = 2;
        assert!(matches!(
            read_batch(&flags),
            Err(BatchError::UnknownFlags { flags: 2, .. })
        ));
        // The second offset (row 0's end) past the third.
        let mut offsets = good.clone();
        offsets[24 + 4] = 9;
        assert!(matches!(
            read_batch(&offsets),
            Err(BatchError::BadOffsets { column: 0, .. })
        ));
        let mut trailing = good.clone();
        trailing.extend_from_slice(&[0; 8]);
        assert!(matches!(
            read_batch(&trailing),
            Err(BatchError::TrailingBytes { extra: 8 })
        ));
        // A row count no memory holds is refused, not allocated.
        let mut huge = good;
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_batch(&huge).is_err());
    }

    #[test]
    fn kind_codes_are_distinct_and_round_trip() {
        for kind in ColumnKind::ALL {
            assert_eq!(ColumnKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ColumnKind::from_code(0), None);
    }
}
