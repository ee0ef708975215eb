//! A soak under failures: threads calling one `HostPool` of the host-calls
//! plugin, each call chosen at random among functions that succeed,
//! panic, trap, run out of fuel, time out, or fail or panic in a host
//! function. Every call must answer as its kind says; a success must see
//! the plugin's statics exactly as the calls since this thread's last
//! failure left them (a failure discards only the calling thread's
//! instance); the host functions must only ever see the calling thread's
//! state; and after warm-up the live instances and resident memory stay
//! flat.
//!
//! The suite runs a bounded soak; the full one (4 threads, 1,000,000
//! calls) is ignored by default:
//!
//! ```text
//! cargo test -p wasmer-plugin-tests --test all -- --ignored soak --nocapture
//! ```

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmer_plugin_host::{Bincode, Error, HostFunctionFailure, HostPool, Plugin};
use wasmer_plugin_tests::common::{Order, summarize};
use wasmer_plugin_tests::plugin;

use crate::host_functions::{Journal, Refused, journal_functions};

/// Each call's deadline; a `Stall` call's host function sleeps past it.
/// Far above a success's time: on a 2-core machine with the other tests
/// of the binary beside it, a success was once preempted for over 20 ms.
const TIMEOUT: Duration = Duration::from_millis(200);
const STALL: Duration = Duration::from_millis(300);
/// Each call's fuel: far more than a success or a panic needs, spent in a
/// millisecond or two by `spin_forever`.
const FUEL: u64 = 5_000_000;

thread_local! {
    /// Whether this thread's next `ping` sleeps past the deadline.
    static STALL_NEXT_PING: Cell<bool> = const { Cell::new(false) };
}

/// What a call does, and so how it must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `count_and_ping`: the instance's call count, after one `ping`.
    Success,
    /// `panic_now`: `Error::Panic` with the message.
    GuestPanic,
    /// `trap_now`: `Error::Trap`.
    Trap,
    /// `spin_forever`: `Error::OutOfFuel`.
    OutOfFuel,
    /// `ping_forever`, whose first `ping` sleeps past the deadline:
    /// `Error::Timeout`.
    Timeout,
    /// `call_fail`: the host function's own error, downcastable.
    HostError,
    /// `call_explode`: the host function's panic, caught.
    HostPanic,
}

impl Kind {
    /// A kind drawn from `random`: mostly successes, timeouts rare (each
    /// takes the deadline).
    fn draw(random: u64) -> Kind {
        match random % 1000 {
            0 => Kind::Timeout,
            1..=600 => Kind::Success,
            601..=680 => Kind::GuestPanic,
            681..=760 => Kind::Trap,
            761..=780 => Kind::OutOfFuel,
            781..=900 => Kind::HostError,
            _ => Kind::HostPanic,
        }
    }

    /// Whether the call pings the host once.
    fn pings(self) -> bool {
        matches!(self, Kind::Success | Kind::Timeout)
    }
}

/// A small generator (splitmix64), seeded per thread.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The pool of the soak: every host function the plugin imports, `ping`
/// checking that the state it is lent is the calling thread's.
fn pool() -> HostPool<Bincode, Journal> {
    let plugin = journal_functions!(@but_ping Plugin::builder().state(Journal::default), Bincode)
        .host_fn0("ping", |ctx| {
            let me = std::thread::current().id();
            let state = ctx.state_mut();
            assert_eq!(
                *state.owner.get_or_insert(me),
                me,
                "a host function saw another thread's state"
            );
            state.pings += 1;
            if STALL_NEXT_PING.with(|stall| stall.replace(false)) {
                std::thread::sleep(STALL);
            }
        })
        .host_fn("strict", |_, text: String| text.len() as u32)
        .host_fn("summarize", |_, order: Order| summarize(&order))
        .fuel_per_call(FUEL)
        .timeout(TIMEOUT)
        .build(plugin("host-calls-bincode"))
        .unwrap();
    HostPool::new(&plugin)
}

/// Makes one call of `kind` and checks its answer, given the successes
/// since this thread's instance was last discarded (what the plugin's
/// statics count); returns that count after the call.
fn call(pool: &HostPool<Bincode, Journal>, kind: Kind, since_failure: u32) -> u32 {
    let failed = |error: Error| -> Error {
        assert!(error.discards_instance(), "{kind:?}: {error:?}");
        error
    };
    match kind {
        Kind::Success => {
            let count = pool.call::<_, u32>("count_and_ping", &()).unwrap();
            assert_eq!(count, since_failure + 1, "the plugin's statics");
            return count;
        }
        Kind::GuestPanic => match failed(pool.call::<_, u32>("panic_now", "soaked").unwrap_err()) {
            Error::Panic { message, .. } => assert!(message.ends_with("soaked"), "{message}"),
            other => panic!("{kind:?}: {other:?}"),
        },
        Kind::Trap => match failed(pool.call::<_, u32>("trap_now", &()).unwrap_err()) {
            Error::Trap { function, .. } => assert_eq!(function, "trap_now"),
            other => panic!("{kind:?}: {other:?}"),
        },
        Kind::OutOfFuel => match failed(pool.call::<_, ()>("spin_forever", &()).unwrap_err()) {
            Error::OutOfFuel { budget, .. } => assert_eq!(budget, FUEL),
            other => panic!("{kind:?}: {other:?}"),
        },
        Kind::Timeout => {
            STALL_NEXT_PING.with(|stall| stall.set(true));
            match failed(pool.call::<_, ()>("ping_forever", &()).unwrap_err()) {
                Error::Timeout { limit, .. } => assert_eq!(limit, TIMEOUT),
                other => panic!("{kind:?}: {other:?}"),
            }
        }
        Kind::HostError => {
            let error = failed(pool.call::<_, u32>("call_fail", "no").unwrap_err());
            let refused = error.host_error().and_then(|e| e.downcast_ref::<Refused>());
            assert!(refused.is_some_and(|r| r.0 == "no"), "{error:?}");
        }
        Kind::HostPanic => match failed(pool.call::<_, u32>("call_explode", "boom").unwrap_err()) {
            Error::HostFunction {
                failure: HostFunctionFailure::Panicked { message },
                ..
            } => assert!(message.ends_with("boom"), "{message}"),
            other => panic!("{kind:?}: {other:?}"),
        },
    }
    0
}

/// This process's resident memory, in bytes (Linux), or `None`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// What one soak measured.
#[derive(Debug)]
struct Figures {
    calls: u64,
    elapsed: Duration,
    resident_after_warm_up: Option<u64>,
    resident_at_end: Option<u64>,
    most_instances: usize,
}

/// `threads` threads making `calls` calls each through one pool; the
/// first tenth of each thread's calls warm up, and the first thread
/// samples resident memory when its warm-up ends. No thread waits for
/// another, so one that fails ends the test instead of hanging it.
fn soak(threads: u64, calls: u64) -> Figures {
    let pool = Arc::new(pool());
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let pool = pool.clone();
            std::thread::spawn(move || -> (Option<u64>, usize) {
                let mut random = Random(0x5eed ^ thread);
                let (mut since_failure, mut pings, mut most_instances) = (0, 0, 0);
                let mut resident_after_warm_up = None;
                for i in 0..calls {
                    if thread == 0 && i == calls / 10 {
                        resident_after_warm_up = resident_bytes();
                    }
                    let kind = Kind::draw(random.next());
                    since_failure = call(&pool, kind, since_failure);
                    pings += u64::from(kind.pings());
                    most_instances = most_instances.max(pool.instances());
                }
                // The state this thread's host functions kept is its own
                // and saw every ping of its calls, whatever failed.
                let (owner, seen) = pool.with_state(|state| (state.owner, state.pings)).unwrap();
                assert_eq!(owner, Some(std::thread::current().id()));
                assert_eq!(seen, pings, "pings seen by this thread's state");
                (resident_after_warm_up, most_instances)
            })
        })
        .collect();
    let (mut resident_after_warm_up, mut most_instances) = (None, 0);
    for worker in workers {
        let (resident, most) = worker.join().unwrap();
        resident_after_warm_up = resident_after_warm_up.or(resident);
        most_instances = most_instances.max(most);
    }
    Figures {
        calls: threads * calls,
        elapsed: started.elapsed(),
        resident_after_warm_up,
        resident_at_end: resident_bytes(),
        most_instances,
    }
}

/// Checks what stays flat: never more instances than threads, and
/// resident memory within `slack` bytes of its size after warm-up.
fn assert_flat(figures: &Figures, threads: u64, slack: u64) {
    assert!(figures.most_instances <= threads as usize, "{figures:?}");
    if let (Some(warm), Some(end)) = (figures.resident_after_warm_up, figures.resident_at_end) {
        assert!(end <= warm + slack, "resident memory grew: {figures:?}");
    }
}

#[test]
fn a_bounded_soak_under_failures_keeps_every_promise() {
    let _exclusive = crate::exclusive();
    let figures = soak(4, 3_000);
    assert_flat(&figures, 4, 64 << 20);
}

#[test]
#[ignore = "the full soak: a million calls, minutes; run with --ignored"]
fn soak_a_million_calls_under_failures() {
    let figures = soak(4, 250_000);
    let mib = |bytes: Option<u64>| bytes.map_or("unknown".into(), |b| format!("{} MiB", b >> 20));
    println!(
        "{} calls in {:.1} s ({:.0} calls/s); resident {} after warm-up, {} at the end; at most {} instances",
        figures.calls,
        figures.elapsed.as_secs_f64(),
        figures.calls as f64 / figures.elapsed.as_secs_f64(),
        mib(figures.resident_after_warm_up),
        mib(figures.resident_at_end),
        figures.most_instances,
    );
    assert_flat(&figures, 4, 16 << 20);
}
