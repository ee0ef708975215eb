//! The crate's one error type.

/// What can go wrong registering a plugin's functions or running one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plugin host failed: making the instance that reads the
    /// plugin's schemas, or a call. Its message is the host's.
    #[error(transparent)]
    Host(wasmer_plugin_host::Error),
    /// DataFusion refused a registration.
    #[error("DataFusion refused to register plugin function `{function}`")]
    Register {
        /// The plugin function.
        function: String,
        /// DataFusion's reason.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// A plugin function's result column is not of the type its schema
    /// declares, or cannot be an Arrow array.
    #[error("plugin function `{function}` returned a bad result column: {reason}")]
    BadResult {
        /// The plugin function.
        function: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument column cannot be sent to the plugin.
    #[error("argument {index} of plugin function `{function}` cannot be sent: {reason}")]
    BadArgument {
        /// The plugin function.
        function: String,
        /// The argument, from 0.
        index: usize,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The plugin host's error, when that is what failed: a query's
    /// `DataFusionError` holds this crate's error, which holds it.
    pub fn host_error(&self) -> Option<&wasmer_plugin_host::Error> {
        match self {
            Error::Host(error) => Some(error),
            _ => None,
        }
    }
}

impl From<wasmer_plugin_host::Error> for Error {
    fn from(error: wasmer_plugin_host::Error) -> Self {
        Error::Host(error)
    }
}
