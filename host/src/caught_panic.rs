//! Host-function panics, caught and reported once: through the error the
//! call returns, not also by the panic hook on stderr, where a message and
//! a backtrace read like a crash of the host.
//!
//! The hook is not replaced: the first catch wraps whatever hook is
//! installed then (std's, or the application's own), which keeps running
//! for every panic outside a host function. A hook the application
//! installs after that replaces the wrapper, and then it sees host-function
//! panics too.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Whether a panic on this thread is inside [`catch`].
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// Where the last caught panic happened, as the hook saw it.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `body`; a panic in it is returned as its message, after the
/// location it was raised at (`src/main.rs:12:5: boom`), and printed by
/// no hook.
pub(crate) fn catch<R>(body: impl FnOnce() -> R) -> Result<R, String> {
    quiet_hook();
    LOCATION.with(|location| location.borrow_mut().take());
    // Nested catches (a host function calling another plugin) restore the
    // outer one's setting.
    let outer = CATCHING.with(|catching| catching.replace(true));
    let result = catch_unwind(AssertUnwindSafe(body));
    CATCHING.with(|catching| catching.set(outer));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        match LOCATION.with(|location| location.borrow_mut().take()) {
            Some(location) => format!("{location}: {message}"),
            None => message,
        }
    })
}

/// Wraps the installed panic hook, once per process, so that panics
/// inside [`catch`] only record their location.
fn quiet_hook() {
    static WRAPPED: Once = Once::new();
    // `take_hook` panics on a thread that is panicking (a host call from a
    // destructor during unwinding); that rare panic stays loud.
    if std::thread::panicking() {
        return;
    }
    WRAPPED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // During thread teardown the thread-locals may be gone: then
            // the panic is not ours to silence.
            let caught = CATCHING.try_with(Cell::get).unwrap_or(false);
            if !caught {
                return previous(info);
            }
            let location = info.location().map(ToString::to_string);
            let _ = LOCATION.try_with(|slot| *slot.borrow_mut() = location);
        }));
    });
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::panic;

    use super::catch;

    thread_local! {
        static SEEN_BY_THE_APPLICATION: Cell<u32> = const { Cell::new(0) };
    }

    // One test, because the hook is the process's: nothing else in this
    // crate's unit tests panics inside `catch`, so the application's hook
    // below is in place before the first catch wraps it.
    #[test]
    fn caught_panics_are_reported_once_and_the_application_hook_sees_the_rest() {
        panic::set_hook(Box::new(|_| {
            SEEN_BY_THE_APPLICATION.with(|seen| seen.set(seen.get() + 1));
        }));
        let seen = || SEEN_BY_THE_APPLICATION.with(Cell::get);

        let message = catch(|| panic!("boom {}", 1)).unwrap_err();
        assert!(
            message.starts_with("host/src/caught_panic.rs:"),
            "{message}"
        );
        assert!(message.ends_with(": boom 1"), "{message}");
        assert_eq!(catch(|| 5), Ok(5));
        assert_eq!(seen(), 0, "a caught panic reached the hook");

        // A panic outside a catch still reaches the application's hook.
        assert!(panic::catch_unwind(|| panic!("elsewhere")).is_err());
        assert_eq!(seen(), 1);

        // Nested catches (a host function calling another plugin) each
        // report their own panic.
        let outer = catch(|| {
            let inner = catch(|| panic!("inner")).unwrap_err();
            assert!(inner.ends_with(": inner"), "{inner}");
            panic!("outer")
        })
        .unwrap_err();
        assert!(outer.ends_with(": outer"), "{outer}");
        assert_eq!(seen(), 1);
    }
}
