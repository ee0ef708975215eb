//! A plugin that uses the guest runtime's optional services: the clock
//! and randomness capabilities, through a crate that knows nothing of
//! wasmer-plugin (`uuid`, over getrandom) and through the runtime's own
//! API; and logging, through `log` and `tracing`.

use std::time::SystemTime;

use wasmer_plugin::wasmer_plugin;

/// A version-4 UUID, as text.
#[wasmer_plugin]
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `len` random bytes from the runtime's API.
#[wasmer_plugin]
pub fn random_bytes(len: u32) -> Vec<u8> {
    let mut bytes = vec![0; len as usize];
    wasmer_plugin::random::fill(&mut bytes);
    bytes
}

/// The wall-clock time in seconds since the epoch, through std's
/// `SystemTime`, and two monotonic readings in nanoseconds.
#[wasmer_plugin]
pub fn times() -> (u64, u64, u64) {
    let now = wasmer_plugin::clock::now();
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after the epoch");
    let first = wasmer_plugin::clock::monotonic();
    let second = wasmer_plugin::clock::monotonic();
    (
        since_epoch.as_secs(),
        first.as_nanos() as u64,
        second.as_nanos() as u64,
    )
}

/// Logs with `log` (its own target, then the crate's) and `tracing`, and
/// answers the length.
#[wasmer_plugin]
pub fn shout(text: &str) -> u64 {
    log::info!(target: "shouter", "shouting {text}");
    log::warn!("loud");
    tracing::debug!(target: "traced", "from tracing");
    text.len() as u64
}
