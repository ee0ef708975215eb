//! The end-to-end tests, one binary (each test binary links wasmer): one
//! module per subject.

/// One test module per shipped codec, each running the generic test
/// functions named, with the codec types in scope of the caller.
macro_rules! for_every_codec {
    ($($test:ident),* $(,)?) => {
        mod bincode { $( #[test] fn $test() { super::$test::<super::Bincode>() } )* }
        mod msgpack { $( #[test] fn $test() { super::$test::<super::MsgPack>() } )* }
        mod postcard { $( #[test] fn $test() { super::$test::<super::Postcard>() } )* }
        mod json { $( #[test] fn $test() { super::$test::<super::Json>() } )* }
    };
}

#[cfg(feature = "async")]
mod async_calls;
mod batches;
mod byte_buffers;
mod capabilities;
mod codecs;
mod failures;
mod guest_runtime;
mod host_functions;
mod hostile_plugins;
mod hot_reload;
mod long_run;
mod misbehaving_guests;
mod modules;
mod observability;
mod pipelines;
mod properties;
mod scale;
mod security;
mod soak;
mod type_checks;

/// Held by the tests that keep both cores busy for a while (the async
/// tests with hundreds of calls in flight) and by the soak, whose calls
/// have a deadline that a starved success could miss beside them.
pub(crate) fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
