//! With the `log` feature: the plugin's `log` records (and its `tracing`
//! events, through tracing's own `log` feature) go to the host through the
//! `__wasmer_plugin_log` import (docs/ABI.md, "Logs"). Every host provides
//! the import; one that forwards plugin logs (`forward_plugin_logs`) turns
//! each record into a `tracing` event, others drop it.
//!
//! The logger is installed the first time the host calls into the
//! runtime, as the panic hook is, unless the plugin installed its own.

#[cfg(all(target_arch = "wasm32", feature = "log"))]
mod imp {
    use alloc::string::String;
    use core::fmt::Write as _;

    #[link(wasm_import_module = "wasmer-plugin")]
    unsafe extern "C" {
        #[link_name = "__wasmer_plugin_log"]
        fn host_log(
            level: u32,
            target_ptr: u32,
            target_len: u32,
            message_ptr: u32,
            message_len: u32,
        );
    }

    /// Sends every record to the host; the host's subscriber filters.
    struct HostLogger;

    impl log::Log for HostLogger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            let mut message = String::new();
            // Formatting into a String cannot fail but for a `Display`
            // impl that reports an error; what it wrote so far is sent.
            let _ = write!(message, "{}", record.args());
            let target = record.target();
            // SAFETY: the host reads the two ranges, both alive and
            // unchanged for the call, and writes nothing (docs/ABI.md);
            // addresses and lengths are 32-bit on wasm32.
            unsafe {
                host_log(
                    record.level() as u32,
                    target.as_ptr() as usize as u32,
                    target.len() as u32,
                    message.as_ptr() as usize as u32,
                    message.len() as u32,
                )
            }
        }

        fn flush(&self) {}
    }

    static LOGGER: HostLogger = HostLogger;

    pub(crate) fn install() {
        // Fails, doing nothing, once a logger is set: ours on every call
        // after the first, or the plugin's own.
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", feature = "log")))]
mod imp {
    pub(crate) fn install() {}
}

pub(crate) use imp::install;
