//! The plugin's schemas (docs/ABI.md, "Schemas"), read once per compiled
//! plugin by its first instance, and the checks of the host's types
//! against them: a plugin function's once per function and type, a host
//! function's arguments when the schemas are read and its reply at its
//! first reply.

use std::any::TypeId;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasmer_plugin_abi::{Codec, FunctionSchema, Schema, trace_type, trace_value};

use crate::host_functions::{HostFn, Linked};
use crate::instance::{Instance, SchemaExport, SchemaExports};
use crate::plugin::Plugin;
use crate::reply::cap_message;
use crate::type_check::{Direction, check};
use crate::{Error, HostFunctionFailure};

/// The schemas of a compiled plugin's functions, and which host types
/// already passed the check.
#[derive(Default)]
pub(crate) struct Schemas {
    /// Set by the plugin's first instance.
    read: OnceLock<Read>,
    /// `(function, direction, host type)` checked and found compatible.
    checked: Mutex<HashSet<(usize, Direction, TypeId)>>,
}

struct Read {
    /// One per metadata record, in order.
    functions: Vec<FunctionSchema>,
    /// The schema of each host function the module imports, by name, in
    /// the module's order.
    host_functions: Vec<(String, FunctionSchema)>,
    /// The first host function whose argument type differs from the
    /// plugin's: `(host function, path, difference)`.
    host_mismatch: Option<(String, String, String)>,
    /// Per function, the [`type_key`] of the argument type that last
    /// passed the check (0 for none): what a handle looked up before its
    /// first call tests on every call, without a lock.
    last_arguments: Vec<AtomicU64>,
}

/// What one schema export answered: its bytes, `None` when the module has
/// no such export, or why it failed.
type Answer = Result<Option<Vec<u8>>, String>;

/// The schema in `answer`; `since` is the ABI version that brought the
/// kind of export asked.
fn describe(answer: Answer, since: u32) -> FunctionSchema {
    let not_described = |reason: String| FunctionSchema {
        args: Err(reason.clone()),
        ret: Err(reason),
    };
    match answer {
        Ok(Some(bytes)) => FunctionSchema::from_bytes(&bytes).unwrap_or_else(|err| {
            not_described(format!("its schema export returned damaged bytes: {err}"))
        }),
        Ok(None) => not_described(format!(
            "the plugin has no schema export for it (built before wasmer-plugin ABI version {since})"
        )),
        Err(reason) => not_described(reason),
    }
}

/// The length that marks an answer of no export in a stored body.
const NO_EXPORT: u32 = u32::MAX;

/// The answers as the cache stores them, or `None` when one is a failure:
///
/// ```text
/// functions (u32 LE) | host functions (u32 LE) | per answer: length (u32 LE, u32::MAX for no export) | bytes
/// ```
fn encode_answers(functions: &[Answer], host_functions: &[Answer]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32::try_from(functions.len()).ok()?.to_le_bytes());
    body.extend_from_slice(&u32::try_from(host_functions.len()).ok()?.to_le_bytes());
    for answer in functions.iter().chain(host_functions) {
        match answer.as_ref().ok()? {
            None => body.extend_from_slice(&NO_EXPORT.to_le_bytes()),
            Some(bytes) => {
                let len = u32::try_from(bytes.len())
                    .ok()
                    .filter(|&len| len != NO_EXPORT)?;
                body.extend_from_slice(&len.to_le_bytes());
                body.extend_from_slice(bytes);
            }
        }
    }
    Some(body)
}

/// The answers in `body`, for a plugin of `functions` functions that
/// imports `host_functions` host functions.
fn decode_answers(
    body: &[u8],
    functions: usize,
    host_functions: usize,
) -> Result<(Vec<Answer>, Vec<Answer>), String> {
    let mut rest = body;
    let stored = (take_u32(&mut rest)? as usize, take_u32(&mut rest)? as usize);
    if stored != (functions, host_functions) {
        return Err(format!(
            "it has the schemas of {} functions and {} host functions, the plugin {functions} and {host_functions}",
            stored.0, stored.1
        ));
    }
    let mut answers = (0..functions + host_functions)
        .map(|_| match take_u32(&mut rest)? {
            NO_EXPORT => Ok(Ok(None)),
            len => Ok(Ok(Some(take(&mut rest, len as usize)?.to_vec()))),
        })
        .collect::<Result<Vec<Answer>, String>>()?;
    if !rest.is_empty() {
        return Err(format!("it has {} bytes past its last schema", rest.len()));
    }
    let host = answers.split_off(functions);
    Ok((answers, host))
}

/// The first `len` bytes of `rest`, taken off it.
fn take<'a>(rest: &mut &'a [u8], len: usize) -> Result<&'a [u8], String> {
    if rest.len() < len {
        return Err(format!("it ends {} bytes too early", len - rest.len()));
    }
    let (taken, after) = rest.split_at(len);
    *rest = after;
    Ok(taken)
}

/// The little-endian `u32` that starts `rest`, taken off it.
fn take_u32(rest: &mut &[u8]) -> Result<u32, String> {
    take(rest, 4).map(|bytes| u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
}

/// A `TypeId` as one `u64`: `TypeId` hashes as one already.
#[inline]
fn type_key(id: TypeId) -> u64 {
    #[derive(Default)]
    struct Take(u64);
    impl Hasher for Take {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &byte in bytes {
                self.0 = self.0.rotate_left(8) ^ byte as u64;
            }
        }
        fn write_u64(&mut self, value: u64) {
            self.0 ^= value;
        }
    }
    let mut take = Take::default();
    id.hash(&mut take);
    take.finish() | 1
}

impl Schemas {
    /// The schemas, once an instance has read them.
    pub(crate) fn get(&self) -> Option<&[FunctionSchema]> {
        self.read.get().map(|read| read.functions.as_slice())
    }

    /// The schemas of the host functions the module imports, once an
    /// instance has read them.
    pub(crate) fn host_functions(&self) -> Option<&[(String, FunctionSchema)]> {
        self.read.get().map(|read| read.host_functions.as_slice())
    }

    /// Fails when a host function the builder linked takes another type
    /// than the plugin sends: asked by every new instance, after the
    /// schemas are read.
    pub(crate) fn host_functions_match(&self) -> Result<(), Error> {
        match self.read.get().and_then(|read| read.host_mismatch.as_ref()) {
            None => Ok(()),
            Some((host_function, path, difference)) => Err(Error::HostFunctionTypeMismatch {
                host_function: host_function.clone(),
                path: path.clone(),
                difference: difference.clone(),
            }),
        }
    }

    /// Reads every function's and host function's schema through the
    /// schema exports of a new instance, unless an earlier instance did,
    /// and checks each host function's argument type against what the
    /// plugin sends. When every export answered, the answers are kept in
    /// the plugin's cache for its next build. Returns whether the instance
    /// must be discarded (a schema export failed in a way that spoils it).
    pub(crate) fn read<S: Send + 'static>(
        &self,
        instance: &mut Instance<S>,
        exports: &SchemaExports<S>,
        plugin: &Plugin<S>,
        state: &mut Option<S>,
    ) -> bool {
        let mut spoiled = false;
        let mut ask = |name: &str, export: Option<&SchemaExport>| -> Answer {
            let Some(export) = export else {
                return Ok(None);
            };
            if spoiled {
                return Err("an earlier schema export failed".to_owned());
            }
            instance
                .call_schema(export, name, state)
                .map(Some)
                .map_err(|err| {
                    spoiled = err.discards_instance();
                    cap_message(format!("its schema export failed: {err}"))
                })
        };
        let functions: Vec<Answer> = plugin
            .functions()
            .iter()
            .zip(&exports.functions)
            .map(|(function, export)| ask(&function.name, export.as_ref()))
            .collect();
        let host_functions: Vec<Answer> = exports
            .host_functions
            .iter()
            .map(|(host_fn, export)| ask(&host_fn.name, export.as_ref()))
            .collect();
        // Only answers that do not depend on this run: a failure may be a
        // deadline missed on a busy machine.
        if let Some(body) = encode_answers(&functions, &host_functions) {
            plugin.store_schemas(&body);
        }
        let host_fns = exports.host_functions.iter().map(|(host_fn, _)| host_fn);
        self.settle(functions, host_fns.zip(host_functions));
        spoiled
    }

    /// Takes the schemas from `body`, the answers an earlier build's first
    /// instance read and stored (see [`read`](Schemas::read)), for a
    /// plugin with `functions` and the host functions of `linked`; returns
    /// why `body` is not such answers, leaving the schemas unread.
    pub(crate) fn read_stored<S>(
        &self,
        body: &[u8],
        functions: usize,
        linked: &Linked<S>,
    ) -> Result<(), String> {
        let host_fns: Vec<&Arc<HostFn<S>>> = linked.host_functions().collect();
        let (functions, host_functions) = decode_answers(body, functions, host_fns.len())?;
        self.settle(functions, host_fns.into_iter().zip(host_functions));
        Ok(())
    }

    /// Makes the schemas of the plugin's functions and the host functions
    /// it imports from what their schema exports answered.
    fn settle<'a, S: 'a>(
        &self,
        functions: Vec<Answer>,
        host_functions: impl Iterator<Item = (&'a Arc<HostFn<S>>, Answer)>,
    ) {
        let functions: Vec<FunctionSchema> = functions
            .into_iter()
            .map(|answer| describe(answer, 3))
            .collect();
        let mut described = Vec::new();
        let mut host_mismatch = None;
        for (host_fn, answer) in host_functions {
            let schema = describe(answer, 4);
            if host_mismatch.is_none() {
                host_mismatch = host_arguments_mismatch(host_fn, &schema);
            }
            let _ = host_fn.reply.plugin.set(schema.ret.clone().ok());
            described.push((host_fn.name.to_string(), schema));
        }
        let last_arguments = functions.iter().map(|_| AtomicU64::new(0)).collect();
        let _ = self.read.set(Read {
            functions,
            host_functions: described,
            host_mismatch,
            last_arguments,
        });
    }

    fn is_checked(&self, key: &(usize, Direction, TypeId)) -> bool {
        self.checked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    }

    fn mark_checked(&self, key: (usize, Direction, TypeId)) {
        self.checked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
    }

    /// Checks that the host can read function `index`'s return value as
    /// `R` in codec `K`. A side either schema cannot describe passes.
    pub(crate) fn check_return<K: Codec, R: DeserializeOwned>(
        &self,
        index: usize,
        function: &str,
    ) -> Result<(), Error> {
        let Some(Ok(plugin)) = self.get().map(|schemas| &schemas[index].ret) else {
            return Ok(());
        };
        let key = (index, Direction::Return, typeid::of::<R>());
        if self.is_checked(&key) {
            return Ok(());
        }
        if let Ok(host) = trace_type::<R>(K::LAYOUT) {
            compare(plugin, &host, K::LAYOUT, Direction::Return, function)?;
        }
        self.mark_checked(key);
        Ok(())
    }

    /// Whether the arguments of function `index` still need checking for
    /// host type `A`, asked at lookup.
    pub(crate) fn arguments_unchecked<A: ?Sized>(&self, index: usize) -> bool {
        match self.get().map(|schemas| &schemas[index].args) {
            Some(Ok(_)) => !self.is_checked(&(index, Direction::Arguments, typeid::of::<A>())),
            _ => false,
        }
    }

    /// Whether `A` was the last argument type of function `index` to pass
    /// the check: asked on each call through a handle looked up before its
    /// first call, so without a lock.
    #[inline]
    pub(crate) fn arguments_passed<A: ?Sized>(&self, index: usize) -> bool {
        self.read.get().is_some_and(|read| {
            read.last_arguments[index].load(Ordering::Relaxed) == type_key(typeid::of::<A>())
        })
    }

    /// Checks that the plugin reads `args` as the host meant them: from
    /// the value, since `A` is only `Serialize`.
    pub(crate) fn check_arguments<K: Codec, A: Serialize + ?Sized>(
        &self,
        index: usize,
        function: &str,
        args: &A,
    ) -> Result<(), Error> {
        let Some(Ok(plugin)) = self.get().map(|schemas| &schemas[index].args) else {
            return Ok(());
        };
        let key = (index, Direction::Arguments, typeid::of::<A>());
        if !self.is_checked(&key) {
            if let Ok(host) = trace_value(args, K::LAYOUT) {
                compare(&host, plugin, K::LAYOUT, Direction::Arguments, function)?;
            }
            self.mark_checked(key);
        }
        if let Some(read) = self.read.get() {
            read.last_arguments[index].store(type_key(key.2), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Checks that function `reader_index` of the `reader` plugin reads, as
/// its arguments, what function `writer_index` of the `writer` plugin
/// returns, in a codec of `layout`: adjacent stages of a pipeline. A side
/// either schema cannot describe passes.
pub(crate) fn check_stage_link(
    (writer, writer_index, writer_function): (&Schemas, usize, &str),
    (reader, reader_index, reader_function): (&Schemas, usize, &str),
    layout: wasmer_plugin_abi::Layout,
) -> Result<(), Error> {
    let written = writer.get().map(|schemas| &schemas[writer_index].ret);
    let read = reader.get().map(|schemas| &schemas[reader_index].args);
    let (Some(Ok(written)), Some(Ok(read))) = (written, read) else {
        return Ok(());
    };
    check(written, read, layout, Direction::Stage).map_err(|mismatch| Error::StageTypeMismatch {
        writer: writer_function.to_owned(),
        reader: reader_function.to_owned(),
        path: cap_message(mismatch.path),
        difference: cap_message(mismatch.difference),
    })
}

fn compare(
    writer: &Schema,
    reader: &Schema,
    layout: wasmer_plugin_abi::Layout,
    direction: Direction,
    function: &str,
) -> Result<(), Error> {
    check(writer, reader, layout, direction).map_err(|mismatch| Error::TypeMismatch {
        function: function.to_owned(),
        path: cap_message(mismatch.path),
        difference: cap_message(mismatch.difference),
    })
}

/// The first difference between what the plugin sends host function
/// `host_fn` and the type the host decodes it as, if any.
fn host_arguments_mismatch<S>(
    host_fn: &HostFn<S>,
    plugin: &FunctionSchema,
) -> Option<(String, String, String)> {
    let (Ok(plugin), Ok(host)) = (&plugin.args, &host_fn.args) else {
        return None;
    };
    let mismatch = check(plugin, host, host_fn.layout, Direction::HostArguments).err()?;
    Some((
        host_fn.name.to_string(),
        cap_message(mismatch.path),
        cap_message(mismatch.difference),
    ))
}

/// The check of a host function's reply against the type the plugin reads
/// it as. A reply type is only `Serialize`, so it is described from the
/// first reply, before that reply is encoded; one that passed (or that
/// the schemas cannot tell about) is not looked at again.
#[derive(Default)]
pub(crate) struct ReplyCheck {
    /// The plugin's schema of the reply, set when the plugin's schemas are
    /// read: `None` when the plugin does not describe it.
    plugin: OnceLock<Option<Schema>>,
    done: AtomicBool,
}

impl ReplyCheck {
    /// Checks `reply`, the host function's reply in codec `K`, unless an
    /// earlier reply passed.
    #[inline]
    pub(crate) fn check<K: Codec, R: Serialize>(
        &self,
        reply: &R,
    ) -> Result<(), HostFunctionFailure> {
        if self.done.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.check_first::<K, R>(reply)
    }

    #[cold]
    fn check_first<K: Codec, R: Serialize>(&self, reply: &R) -> Result<(), HostFunctionFailure> {
        // A host function the start function calls runs before the
        // schemas are read: the check waits for the next reply.
        let Some(plugin) = self.plugin.get() else {
            return Ok(());
        };
        if let Some(plugin) = plugin
            && let Ok(host) = trace_value(reply, K::LAYOUT)
        {
            check(&host, plugin, K::LAYOUT, Direction::HostReply).map_err(|mismatch| {
                HostFunctionFailure::TypeMismatch {
                    path: cap_message(mismatch.path),
                    difference: cap_message(mismatch.difference),
                }
            })?;
        }
        self.done.store(true, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_answers_come_back_as_they_were() {
        let functions = vec![Ok(Some(b"schema".to_vec())), Ok(None), Ok(Some(Vec::new()))];
        let host_functions = vec![Ok(Some(b"host".to_vec()))];
        let body = encode_answers(&functions, &host_functions).unwrap();
        assert_eq!(
            decode_answers(&body, 3, 1),
            Ok((functions.clone(), host_functions.clone()))
        );
        // Failures are not stored: they may not happen next time.
        let failed = vec![Ok(None), Err("its schema export failed".to_owned())];
        assert_eq!(encode_answers(&failed, &[]), None);
        // A body for another plugin, cut short or with more is refused.
        assert!(
            decode_answers(&body, 2, 1)
                .unwrap_err()
                .contains("3 functions")
        );
        for len in 0..body.len() {
            let reason = decode_answers(&body[..len], 3, 1).unwrap_err();
            assert!(reason.contains("too early"), "{len}: {reason}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(
            decode_answers(&longer, 3, 1)
                .unwrap_err()
                .contains("past its last")
        );
    }
}
