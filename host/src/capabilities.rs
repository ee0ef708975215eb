//! Capabilities: what a plugin may ask of the host besides host functions
//! (a clock, randomness), granted on the builder, and refused at load,
//! naming the capability, when the plugin asks for one that is not.
//!
//! A plugin asks by importing the capability's functions (docs/ABI.md,
//! "Capabilities"); the guest runtime's `wasmer_plugin::clock` and
//! `wasmer_plugin::random` (and getrandom's backend) are what import them,
//! and the linker keeps an import only where the plugin's code can call
//! it. So the module's imports are its request, exactly: no declaration
//! can say more or less than the code does.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use wasmer_plugin_abi::{CLOCK_MONOTONIC_IMPORT, CLOCK_WALL_IMPORT, RANDOM_FILL_IMPORT};

use crate::builder::Target;
use crate::{Builder, Error};

/// The clock a host grants its plugins ([`Builder::grant_clock`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Clock(ClockSource);

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClockSource {
    System,
    Deterministic { start_nanos: u64, step_nanos: u64 },
}

impl Clock {
    /// The host's clock: the wall-clock time as the host's
    /// `SystemTime::now()` reads it, and a monotonic clock from the host's
    /// `Instant` whose origin is the instance's creation.
    pub fn system() -> Clock {
        Clock(ClockSource::System)
    }

    /// A clock for reproducible runs: each instance's first reading (wall
    /// or monotonic) is `start` (monotonic: zero), and every reading after
    /// it is `step` later than the one before, however much time passed.
    /// A `start` before the Unix epoch is taken as the epoch.
    pub fn deterministic(start: SystemTime, step: Duration) -> Clock {
        let start_nanos = start
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, saturating_nanos);
        Clock(ClockSource::Deterministic {
            start_nanos,
            step_nanos: saturating_nanos(step),
        })
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ClockSource::System => f.write_str("Clock::system()"),
            ClockSource::Deterministic {
                start_nanos,
                step_nanos,
            } => f
                .debug_struct("Clock::deterministic")
                .field("start", &Duration::from_nanos(start_nanos))
                .field("step", &Duration::from_nanos(step_nanos))
                .finish(),
        }
    }
}

/// The random bytes a host grants its plugins
/// ([`Builder::grant_randomness`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Randomness(RandomSource);

#[derive(Clone, Copy, PartialEq, Eq)]
enum RandomSource {
    System,
    Seeded(u64),
}

impl Randomness {
    /// The operating system's random bytes (through `getrandom`), fit for
    /// keys and tokens.
    pub fn system() -> Randomness {
        Randomness(RandomSource::System)
    }

    /// A generator for reproducible runs: each instance draws the same
    /// bytes from the same `seed` (xoshiro256**, seeded by SplitMix64).
    /// Predictable by design: never for secrets.
    pub fn seeded(seed: u64) -> Randomness {
        Randomness(RandomSource::Seeded(seed))
    }
}

impl fmt::Debug for Randomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            RandomSource::System => f.write_str("Randomness::system()"),
            RandomSource::Seeded(seed) => write!(f, "Randomness::seeded({seed})"),
        }
    }
}

/// Capabilities a plugin may ask for.
impl<O: Target> Builder<O> {
    /// Lets the plugin read the time through `wasmer_plugin::clock`:
    /// the host's ([`Clock::system`]) or a reproducible one
    /// ([`Clock::deterministic`]). Without it, a plugin that reads the
    /// time is refused at load ([`Error::CapabilityNotGranted`]).
    pub fn grant_clock(mut self, clock: Clock) -> Self {
        self.host.grants.clock = Some(clock);
        self
    }

    /// Lets the plugin draw random bytes through `wasmer_plugin::random`
    /// or `getrandom`: the system's ([`Randomness::system`]) or a seeded
    /// generator's ([`Randomness::seeded`]). Without it, a plugin that
    /// draws any is refused at load ([`Error::CapabilityNotGranted`]).
    pub fn grant_randomness(mut self, randomness: Randomness) -> Self {
        self.host.grants.randomness = Some(randomness);
        self
    }
}

/// What a builder granted.
#[derive(Clone, Default)]
pub(crate) struct Grants {
    clock: Option<Clock>,
    randomness: Option<Randomness>,
}

/// A capability import of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapabilityImport {
    ClockWall,
    ClockMonotonic,
    RandomFill,
}

impl CapabilityImport {
    /// The capability import of this name in the `wasmer-plugin` module.
    pub(crate) fn named(name: &str) -> Option<CapabilityImport> {
        match name {
            CLOCK_WALL_IMPORT => Some(CapabilityImport::ClockWall),
            CLOCK_MONOTONIC_IMPORT => Some(CapabilityImport::ClockMonotonic),
            RANDOM_FILL_IMPORT => Some(CapabilityImport::RandomFill),
            _ => None,
        }
    }

    /// The capability, as errors and `inspect` name it.
    pub(crate) fn capability(self) -> &'static str {
        match self {
            CapabilityImport::ClockWall | CapabilityImport::ClockMonotonic => "clock",
            CapabilityImport::RandomFill => "randomness",
        }
    }

    /// The builder method that grants it.
    fn setter(self) -> &'static str {
        match self {
            CapabilityImport::ClockWall | CapabilityImport::ClockMonotonic => "grant_clock",
            CapabilityImport::RandomFill => "grant_randomness",
        }
    }

    /// The import's name, for errors.
    pub(crate) fn import_name(self) -> &'static str {
        match self {
            CapabilityImport::ClockWall => CLOCK_WALL_IMPORT,
            CapabilityImport::ClockMonotonic => CLOCK_MONOTONIC_IMPORT,
            CapabilityImport::RandomFill => RANDOM_FILL_IMPORT,
        }
    }
}

/// The capabilities a module's imports ask for (`(module, name)` pairs),
/// sorted, each once: `["clock", "randomness"]`.
pub(crate) fn requested<'a>(
    module_imports: impl IntoIterator<Item = &'a (String, String)>,
) -> Vec<&'static str> {
    let mut capabilities: Vec<&'static str> = module_imports
        .into_iter()
        .filter(|(module, _)| module == wasmer_plugin_abi::IMPORT_MODULE)
        .filter_map(|(_, name)| CapabilityImport::named(name))
        .map(CapabilityImport::capability)
        .collect();
    capabilities.sort_unstable();
    capabilities.dedup();
    capabilities
}

impl Grants {
    /// Refuses `import` when its capability is not granted.
    pub(crate) fn check(&self, import: CapabilityImport) -> Result<(), Error> {
        let granted = match import {
            CapabilityImport::ClockWall | CapabilityImport::ClockMonotonic => self.clock.is_some(),
            CapabilityImport::RandomFill => self.randomness.is_some(),
        };
        if granted {
            return Ok(());
        }
        Err(Error::CapabilityNotGranted {
            capability: import.capability(),
            import: import.import_name(),
            setter: import.setter(),
        })
    }

    /// The capabilities' state for a new instance.
    pub(crate) fn instance_state(&self) -> CapabilityState {
        CapabilityState {
            clock: self.clock.as_ref().map(|clock| match clock.0 {
                ClockSource::System => ClockState::System {
                    origin: Instant::now(),
                },
                ClockSource::Deterministic {
                    start_nanos,
                    step_nanos,
                } => ClockState::Deterministic(Steps {
                    start_nanos,
                    step_nanos,
                    readings: 0,
                }),
            }),
            randomness: self
                .randomness
                .as_ref()
                .map(|randomness| match randomness.0 {
                    RandomSource::System => RandomState::System,
                    RandomSource::Seeded(seed) => RandomState::Seeded(Xoshiro256::new(seed)),
                }),
        }
    }
}

/// One instance's clock and generator.
pub(crate) struct CapabilityState {
    clock: Option<ClockState>,
    randomness: Option<RandomState>,
}

enum ClockState {
    System { origin: Instant },
    Deterministic(Steps),
}

/// A deterministic clock's readings so far.
struct Steps {
    start_nanos: u64,
    step_nanos: u64,
    readings: u64,
}

enum RandomState {
    System,
    Seeded(Xoshiro256),
}

/// Why a capability import could not answer.
pub(crate) type CapabilityFailure = String;

impl CapabilityState {
    /// `__wasmer_plugin_clock_wall`: nanoseconds since the Unix epoch.
    pub(crate) fn wall_nanos(&mut self) -> Result<u64, CapabilityFailure> {
        match self.clock.as_mut().ok_or_else(not_granted)? {
            ClockState::System { .. } => Ok(SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, saturating_nanos)),
            ClockState::Deterministic(steps) => Ok(steps.start_nanos.saturating_add(steps.next())),
        }
    }

    /// `__wasmer_plugin_clock_monotonic`: nanoseconds since the origin.
    pub(crate) fn monotonic_nanos(&mut self) -> Result<u64, CapabilityFailure> {
        match self.clock.as_mut().ok_or_else(not_granted)? {
            ClockState::System { origin } => Ok(saturating_nanos(origin.elapsed())),
            ClockState::Deterministic(steps) => Ok(steps.next()),
        }
    }

    /// `__wasmer_plugin_random_fill`: random bytes into `bytes`.
    pub(crate) fn fill(&mut self, bytes: &mut [u8]) -> Result<(), CapabilityFailure> {
        match self.randomness.as_mut().ok_or_else(not_granted)? {
            RandomState::System => getrandom::fill(bytes)
                .map_err(|err| format!("the system has no random bytes to give: {err}")),
            RandomState::Seeded(generator) => {
                generator.fill(bytes);
                Ok(())
            }
        }
    }
}

/// A link-time check makes this unreachable from a plugin; a module that
/// reaches it anyway gets a trap, not a panic.
fn not_granted() -> CapabilityFailure {
    "the capability was not granted".to_owned()
}

impl Steps {
    /// The time since the start at this reading, a step more than at the
    /// one before.
    fn next(&mut self) -> u64 {
        let since_start = self.step_nanos.saturating_mul(self.readings);
        self.readings += 1;
        since_start
    }
}

/// Durations as the imports' `i64` nanoseconds carry them: up to the year
/// 2262, saturating after.
fn saturating_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).map_or(i64::MAX as u64, |nanos| nanos.min(i64::MAX as u64))
}

/// xoshiro256** (Blackman and Vigna), seeded by SplitMix64: small, fast,
/// and the same bytes from the same seed on every machine.
struct Xoshiro256([u64; 4]);

impl Xoshiro256 {
    fn new(seed: u64) -> Xoshiro256 {
        let mut state = seed;
        let mut split_mix = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Xoshiro256([split_mix(), split_mix(), split_mix(), split_mix()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    fn fill(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_generator_is_xoshiro256_starstar() {
        // The reference outputs for the state [1, 2, 3, 4] (as in
        // rand_xoshiro's tests), and SplitMix64's first four for seed 0.
        let mut generator = Xoshiro256([1, 2, 3, 4]);
        let outputs: Vec<u64> = (0..4).map(|_| generator.next_u64()).collect();
        assert_eq!(outputs, [11520, 0, 1509978240, 1215971899390074240]);
        assert_eq!(
            Xoshiro256::new(0).0,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec
            ]
        );
        let mut a = [0u8; 13];
        let mut b = [0u8; 13];
        Xoshiro256::new(7).fill(&mut a);
        Xoshiro256::new(7).fill(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, [0; 13]);
    }

    #[test]
    fn a_deterministic_clock_steps_at_every_reading() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let grants = Grants {
            clock: Some(Clock::deterministic(start, Duration::from_millis(1))),
            randomness: None,
        };
        let mut state = grants.instance_state();
        assert_eq!(state.wall_nanos(), Ok(1_700_000_000_000_000_000));
        assert_eq!(state.monotonic_nanos(), Ok(1_000_000));
        assert_eq!(state.wall_nanos(), Ok(1_700_000_000_002_000_000));
        // A new instance starts over.
        assert_eq!(grants.instance_state().monotonic_nanos(), Ok(0));
        assert!(state.fill(&mut [0; 4]).is_err());
    }

    #[test]
    fn a_missing_grant_names_the_capability_and_its_setter() {
        let err = Grants::default()
            .check(CapabilityImport::RandomFill)
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("randomness"), "{message}");
        assert!(message.contains("`grant_randomness`"), "{message}");
        assert!(message.contains(RANDOM_FILL_IMPORT), "{message}");
    }
}
