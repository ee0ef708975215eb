//! A plugin function as a DataFusion scalar function: each batch
//! DataFusion evaluates goes to the plugin in one call, on the calling
//! thread's instance of the pool.

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use wasmer_plugin_abi::write_batch_header;
use wasmer_plugin_host::{Codec, HostPool};

use crate::Error;
use crate::columns::{read_array, write_array};
use crate::types::ColumnSignature;

thread_local! {
    /// The buffer a thread writes its batches into, kept between its
    /// calls (taken out for a call, so that a nested one gets its own).
    static BATCH_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Capacity [`BATCH_BUFFER`] keeps: a larger buffer, written for an
/// unusually large batch, is freed after its call.
const RETAINED_BATCH_CAPACITY: usize = 16 * 1024 * 1024;

/// One plugin function, served by a pool shared by all of a plugin's
/// functions.
pub(crate) struct PluginUdf<C: Codec + 'static, S: Send + 'static> {
    pub(crate) name: String,
    pub(crate) columns: ColumnSignature,
    pub(crate) signature: Signature,
    pub(crate) pool: Arc<HostPool<C, S>>,
}

impl<C: Codec + 'static, S: Send + 'static> std::fmt::Debug for PluginUdf<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginUdf")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .field("pool", &self.pool)
            .finish()
    }
}

// Two UDFs are the same function when they call the same function of the
// same pool.
impl<C: Codec + 'static, S: Send + 'static> PartialEq for PluginUdf<C, S> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.pool, &other.pool)
    }
}

impl<C: Codec + 'static, S: Send + 'static> Eq for PluginUdf<C, S> {}

impl<C: Codec + 'static, S: Send + 'static> Hash for PluginUdf<C, S> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        Arc::as_ptr(&self.pool).hash(state);
    }
}

impl<C: Codec + 'static, S: Send + 'static> PluginUdf<C, S> {
    pub(crate) fn new(
        name: String,
        columns: ColumnSignature,
        volatility: Volatility,
        pool: Arc<HostPool<C, S>>,
    ) -> Self {
        let types = columns.args.iter().map(|(_, ty)| ty.clone()).collect();
        PluginUdf {
            name,
            columns,
            signature: Signature::exact(types, volatility),
            pool,
        }
    }

    /// The arguments as arrays of the declared types, `rows` long.
    fn arrays(&self, args: Vec<ColumnarValue>, rows: usize) -> Result<Vec<ArrayRef>> {
        args.into_iter()
            .zip(&self.columns.args)
            .map(|(arg, (_, ty))| {
                let array = arg.into_array(rows)?;
                if array.data_type() == ty {
                    Ok(array)
                } else {
                    Ok(cast(&array, ty)?)
                }
            })
            .collect()
    }

    /// Writes the batch of `arrays` in the column layout into `batch`
    /// (emptied first).
    fn write_batch(&self, batch: &mut Vec<u8>, arrays: &[ArrayRef], rows: usize) -> Result<()> {
        batch.clear();
        write_batch_header(batch, rows, arrays.len());
        for (index, (array, (kind, _))) in arrays.iter().zip(&self.columns.args).enumerate() {
            write_array(batch, *kind, array.as_ref()).map_err(|reason| {
                external(Error::BadArgument {
                    function: self.name.clone(),
                    index,
                    reason,
                })
            })?;
        }
        Ok(())
    }

    /// A failed call as DataFusion's error: the plugin host's error as
    /// the source, within a context naming the function and, for a
    /// failure on a row, the row and its arguments.
    fn call_error(&self, error: wasmer_plugin_host::Error, arrays: &[ArrayRef]) -> DataFusionError {
        match error {
            wasmer_plugin_host::Error::BatchRow { row, source, .. } => {
                let values: Vec<String> = arrays
                    .iter()
                    .map(|array| {
                        if array.is_null(row) {
                            "NULL".to_owned()
                        } else {
                            array_value_to_string(array, row).unwrap_or_else(|_| "?".to_owned())
                        }
                    })
                    .collect();
                let context = format!(
                    "plugin function `{}` failed on row {row} of its batch of {}, called with ({})",
                    self.name,
                    arrays.first().map_or(0, |array| array.len()),
                    values.join(", ")
                );
                external(Error::Host(*source)).context(context)
            }
            other => external(Error::Host(other)),
        }
    }
}

fn external(error: Error) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

impl<C: Codec + 'static, S: Send + 'static> ScalarUDFImpl for PluginUdf<C, S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.columns.ret.1.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = self.arrays(args.args, rows)?;
        let mut batch = BATCH_BUFFER.take();
        let ret_type = &self.columns.ret.1;
        let result = self.write_batch(&mut batch, &arrays, rows).map(|()| {
            self.pool
                .call_batch(&self.name, &batch, |column| read_array(column, ret_type))
        });
        if batch.capacity() <= RETAINED_BATCH_CAPACITY {
            BATCH_BUFFER.set(batch);
        }
        let result = result?;
        match result {
            Ok(Ok(array)) => Ok(ColumnarValue::Array(array)),
            Ok(Err(reason)) => Err(external(Error::BadResult {
                function: self.name.clone(),
                reason,
            })),
            Err(error) => Err(self.call_error(error, &arrays)),
        }
    }
}
