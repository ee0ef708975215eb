//! A small plugin that configures itself and logs through host
//! functions, and the unit tests a plugin author writes for it: natively,
//! on the test harness's threads, where no host exists.
#![forbid(unsafe_code)]

use wasmer_plugin::{host_functions, wasmer_plugin};

#[host_functions(codec = "postcard")]
extern "C" {
    /// The host's setting for `key`.
    fn config(key: &str) -> Option<String>;
    /// A line in the host's log.
    fn log(line: &str);
}

/// The part of the plugin that needs no host: what unit tests check.
pub fn shouted(text: &str, suffix: &str) -> String {
    format!("{}{suffix}", text.to_uppercase())
}

#[wasmer_plugin(codec = "postcard")]
pub fn shout(text: &str) -> String {
    let suffix = config("suffix").unwrap_or_default();
    log(&format!("shouting {} bytes", text.len()));
    shouted(text, &suffix)
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;

    use super::*;

    /// Threads calling host functions at once (more under a normal run
    /// than Miri can interpret in reasonable time).
    const THREADS: usize = if cfg!(miri) { 4 } else { 16 };
    const CALLS: usize = if cfg!(miri) { 3 } else { 200 };

    /// Keeps the expected "no host" panics out of the test output; any
    /// other panic is reported as usual.
    fn quiet_expected_panics() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let report = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let expected = info
                    .payload_as_str()
                    .is_some_and(|message| message.contains("can only be called from a plugin"));
                if !expected {
                    report(info)
                }
            }));
        });
    }

    fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn the_pure_part_is_an_ordinary_function() {
        assert_eq!(shouted("hi", "!"), "HI!");
    }

    #[test]
    fn a_host_function_called_natively_says_there_is_no_host() {
        quiet_expected_panics();
        let message = panic_message(catch_unwind(|| config("suffix")).unwrap_err());
        assert!(
            message.contains("host function `config` can only be called from a plugin"),
            "{message}"
        );
        // A plugin function that calls one fails the same way.
        let message = panic_message(catch_unwind(|| shout("hi")).unwrap_err());
        assert!(message.contains("host function `config`"), "{message}");
    }

    #[test]
    fn host_functions_called_from_many_threads_share_nothing() {
        quiet_expected_panics();
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                scope.spawn(move || {
                    for call in 0..CALLS {
                        // Arguments of every size, so that a shared buffer
                        // would be written by several threads at once.
                        let line = "x".repeat(thread * 31 + call);
                        let message = panic_message(catch_unwind(|| log(&line)).unwrap_err());
                        assert!(message.contains("host function `log`"), "{message}");
                        let message = panic_message(catch_unwind(|| config(&line)).unwrap_err());
                        assert!(message.contains("host function `config`"), "{message}");
                    }
                });
            }
        });
    }

    #[test]
    fn recording_a_panic_natively_does_nothing_on_any_thread() {
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                scope.spawn(move || {
                    for _ in 0..CALLS {
                        wasmer_plugin::record_panic(&format_args!("thread {thread}"));
                    }
                });
            }
        });
    }
}
