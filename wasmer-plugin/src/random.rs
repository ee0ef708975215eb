//! Random bytes, from the host, for a plugin the host grants the
//! randomness capability (`grant_randomness` on the host's builder).
//!
//! [`fill`] asks the host directly. With this crate's `getrandom` feature,
//! crates that use getrandom 0.3 or 0.4 (`rand`, `uuid` with its
//! `rng-getrandom` feature, …) get the same bytes through getrandom's
//! custom backend, which the feature provides; the plugin must then be
//! built with `--cfg getrandom_backend="custom"`, which the build helper
//! (`wasmer-plugin-build`) and the template of `wasmer-plugin new` set.
//!
//! A plugin asks for randomness by importing it: calling [`fill`] does, and
//! so does the `getrandom` feature, always, because the backend is an
//! exported symbol that every module linking it keeps. A host that does
//! not grant randomness refuses such a plugin at load, naming it. A host
//! may grant a seeded generator for reproducible runs.
//!
//! Outside wasm32 (a plugin crate's native unit tests) [`fill`] panics:
//! no host is there to ask; getrandom uses the operating system there.
//!
//! ```no_run
//! let mut key = [0u8; 32];
//! wasmer_plugin::random::fill(&mut key);
//! ```

#[cfg(all(
    target_arch = "wasm32",
    feature = "getrandom",
    not(getrandom_backend = "custom")
))]
compile_error!(
    "wasmer-plugin's `getrandom` feature provides getrandom's custom backend: build the plugin with `--cfg getrandom_backend=\"custom\"` in the wasm32 target's rustflags (the wasmer-plugin build helper and `wasmer-plugin new` set it)"
);

/// Fills `bytes` with random bytes from the host.
pub fn fill(bytes: &mut [u8]) {
    imp::fill(bytes)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    #[link(wasm_import_module = "wasmer-plugin")]
    unsafe extern "C" {
        #[link_name = "__wasmer_plugin_random_fill"]
        fn random_fill(ptr: u32, len: u32);
    }

    pub(super) fn fill(bytes: &mut [u8]) {
        // SAFETY: the host writes exactly the `len` bytes at `ptr`, all of
        // them `bytes`'s, and calls nothing of the guest's meanwhile
        // (docs/ABI.md, "Capabilities"). Addresses are 32-bit on wasm32.
        unsafe { random_fill(bytes.as_mut_ptr() as usize as u32, bytes.len() as u32) }
    }

    /// getrandom's custom backend (getrandom 0.3 and 0.4 name it alike).
    #[cfg(all(feature = "getrandom", getrandom_backend = "custom"))]
    #[unsafe(no_mangle)]
    unsafe extern "Rust" fn __getrandom_v03_custom(
        dest: *mut u8,
        len: usize,
    ) -> Result<(), getrandom::Error> {
        // SAFETY: getrandom passes `len` writable bytes at `dest` (they may
        // be uninitialised, which a write-only import does not mind); the
        // host writes exactly those, as in `fill`.
        unsafe { random_fill(dest as usize as u32, len as u32) };
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub(super) fn fill(_: &mut [u8]) {
        panic!(
            "wasmer_plugin::random::fill can only be called from a plugin running in a wasmer-plugin host (wasm32)"
        )
    }
}
