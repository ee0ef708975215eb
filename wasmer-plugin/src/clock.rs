//! The time, from the host, for a plugin the host grants the clock
//! capability (`grant_clock` on the host's builder).
//!
//! On `wasm32-unknown-unknown` std's clock cannot work (`SystemTime::now()`
//! panics) and cannot be redirected, so a plugin reads the time here.
//! Calling either function makes the plugin import the host's clock, which
//! is how the plugin asks for it: a host that does not grant the clock
//! refuses the plugin at load, naming it. A host may grant a deterministic
//! clock for reproducible runs; nothing here can tell.
//!
//! Outside wasm32 (a plugin crate's native unit tests) both read std's
//! clock, or panic without the `std` feature.
//!
//! ```no_run
//! let started = wasmer_plugin::clock::monotonic();
//! let seconds = wasmer_plugin::clock::unix_time().as_secs();
//! let elapsed = wasmer_plugin::clock::monotonic() - started;
//! # let _ = (seconds, elapsed);
//! ```

use core::time::Duration;

/// The wall-clock time as a duration since the Unix epoch (1970-01-01
/// 00:00:00 UTC). It may go back when the host's clock is set back.
pub fn unix_time() -> Duration {
    Duration::from_nanos(imp::wall_nanos())
}

/// The wall-clock time, as `SystemTime::now()` would give it.
#[cfg(feature = "std")]
pub fn now() -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + unix_time()
}

/// The time since an origin fixed for this plugin instance: it never
/// decreases, so the difference of two readings is the time between them.
pub fn monotonic() -> Duration {
    Duration::from_nanos(imp::monotonic_nanos())
}

#[cfg(target_arch = "wasm32")]
mod imp {
    #[link(wasm_import_module = "wasmer-plugin")]
    unsafe extern "C" {
        #[link_name = "__wasmer_plugin_clock_wall"]
        fn clock_wall() -> i64;
        #[link_name = "__wasmer_plugin_clock_monotonic"]
        fn clock_monotonic() -> i64;
    }

    pub(super) fn wall_nanos() -> u64 {
        // SAFETY: the import takes nothing and returns a number
        // (docs/ABI.md, "Capabilities"); it touches no guest memory.
        unsafe { clock_wall() as u64 }
    }

    pub(super) fn monotonic_nanos() -> u64 {
        // SAFETY: as for `clock_wall`.
        unsafe { clock_monotonic() as u64 }
    }
}

#[cfg(all(not(target_arch = "wasm32"), feature = "std"))]
mod imp {
    use std::sync::OnceLock;
    use std::time::{Instant, SystemTime};

    pub(super) fn wall_nanos() -> u64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64)
    }

    pub(super) fn monotonic_nanos() -> u64 {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

#[cfg(all(not(target_arch = "wasm32"), not(feature = "std")))]
mod imp {
    pub(super) fn wall_nanos() -> u64 {
        panic!("wasmer_plugin::clock needs a wasmer-plugin host (wasm32) or the `std` feature")
    }

    pub(super) fn monotonic_nanos() -> u64 {
        wall_nanos()
    }
}
