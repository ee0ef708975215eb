//! What a compiler middleware keeps of the one module it instruments: the
//! globals it added, recorded when wasmer hands it the module's info and
//! read by the middleware of each of the module's functions.

use std::sync::Mutex;

/// The globals `T` a middleware added to its module. A middleware serves
/// one module (as `wasmer_middlewares::Metering` does): the engine of each
/// plugin gets fresh ones.
#[derive(Debug)]
pub(crate) struct AddedGlobals<T: Copy>(Mutex<Option<T>>);

impl<T: Copy> AddedGlobals<T> {
    pub(crate) const fn new() -> Self {
        AddedGlobals(Mutex::new(None))
    }

    /// Records the globals added to the module.
    pub(crate) fn record(&self, globals: T) {
        let mut recorded = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(recorded.is_none(), "a middleware instruments one module");
        *recorded = Some(globals);
    }

    /// The globals, for one of the module's functions.
    pub(crate) fn get(&self) -> T {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .expect("wasmer transforms the module info before compiling its functions")
    }
}
