//! The fresh-instance mode: a new instance for every call, so that no
//! state a plugin keeps (statics, its heap) survives from one call to the
//! next.

use std::borrow::Borrow;

use crate::{Builder, Error};

/// Default for [`Builder::fresh_instance_per_call`]: off. An instance is
/// kept from call to call (and replaced only after a call that
/// [discards it](Error::discards_instance)), since a plugin that keeps
/// state between calls is as often meant to as not.
pub const DEFAULT_FRESH_INSTANCE_PER_CALL: bool = false;

impl<O: crate::builder::Target> Builder<O> {
    /// With `true`, every call runs on an instance no call ran on before:
    /// a host (and each thread of a pool) drops its instance after each
    /// call and makes the next call's when it comes, so that nothing one
    /// caller's input left in the plugin's memory reaches another's (the
    /// isolation of "an instance per request" hosts). The host's own
    /// state (see [`Builder::state`]) belongs to the host and is kept.
    /// Each call then pays for an instantiation too (docs/BENCHMARKS.md,
    /// "Loading and instantiating"). Default
    /// [`DEFAULT_FRESH_INSTANCE_PER_CALL`].
    pub fn fresh_instance_per_call(mut self, fresh: bool) -> Self {
        self.limits.fresh_instance_per_call = fresh;
        self
    }
}

/// Whether a host keeps the instance a call ended with `result` on, for
/// the next call.
#[inline]
pub(crate) fn keeps_instance<T, E: Borrow<Error>>(
    fresh_instance_per_call: bool,
    result: &Result<T, E>,
) -> bool {
    !fresh_instance_per_call && !matches!(result, Err(error) if error.borrow().discards_instance())
}
