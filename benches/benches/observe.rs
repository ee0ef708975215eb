//! What the host's `tracing` feature costs (`observe/*`): the small-struct
//! bincode round trip (`observe/small`, one call span) and a plugin call
//! making 1,000 empty host calls (`observe/ping_1000`, a call span and
//! 1,000 host-function spans), per group:
//!
//! - `compiled_out`: built without the feature (the default), where the
//!   spans are `#[cfg]`ed away;
//! - with `--features tracing`: `no_subscriber` (nothing listens),
//!   `filtered_out` (a subscriber that takes only warnings and errors, as
//!   an `EnvFilter` of `warn` does) and `recording` (a subscriber that
//!   takes every span and visits its fields, as a formatter would, but
//!   writes nothing).
//!
//! The report runs this benchmark once without the feature and once with
//! it.

use std::hint::black_box;

use criterion::Criterion;
use wasmer_plugin_bench_payloads::{Rng, SEED, Small};
use wasmer_plugin_benches::{BenchPlugins, bench_plugins, criterion};
use wasmer_plugin_host::{Bincode, Host};

/// Empty host calls per iteration of `observe/ping_1000`.
const PINGS: u32 = 1000;

/// The calls measured, by criterion group.
type Calls<'a> = Vec<(&'static str, Box<dyn FnMut() + 'a>)>;

/// Benchmarks every call under `listener` (the function's name in each
/// group).
fn bench_all(c: &mut Criterion, listener: &str, calls: &mut Calls<'_>) {
    for (group, call) in calls.iter_mut() {
        c.benchmark_group(*group)
            .bench_function(listener, |b| b.iter(&mut *call));
    }
}

fn main() {
    let plugins: BenchPlugins = bench_plugins();
    let mut c = criterion().configure_from_args();

    let mut small_host = Host::<Bincode>::new(&plugins.framework).unwrap();
    let small = small_host
        .function::<Small, Small>("small_bincode")
        .unwrap();
    let value = Small::generate(&mut Rng::new(SEED));
    let mut ping_host = plugins.host_calls_host();
    let ping = ping_host.function::<u32, ()>("ping_host").unwrap();
    let mut calls: Calls<'_> = vec![
        (
            "observe/small",
            Box::new(|| {
                black_box(small_host.call_function(&small, black_box(&value)).unwrap());
            }),
        ),
        (
            "observe/ping_1000",
            Box::new(|| ping_host.call_function(&ping, black_box(&PINGS)).unwrap()),
        ),
    ];

    #[cfg(not(feature = "tracing"))]
    bench_all(&mut c, "compiled_out", &mut calls);
    #[cfg(feature = "tracing")]
    {
        use listeners::Counting;
        use tracing::Level;
        // Every group first without a subscriber, before any has been
        // set: each callsite's interest is then cached as "never" and the
        // maximum level is off. Once a subscriber has been set, tracing
        // keeps looking the current one up per span, even after it is
        // gone.
        bench_all(&mut c, "no_subscriber", &mut calls);
        let filtered = Counting::new(Level::WARN);
        tracing::subscriber::with_default(filtered.clone(), || {
            bench_all(&mut c, "filtered_out", &mut calls);
        });
        assert_eq!(filtered.spans(), 0, "a filtered-out span was made");
        let recording = Counting::new(Level::TRACE);
        tracing::subscriber::with_default(recording.clone(), || {
            bench_all(&mut c, "recording", &mut calls);
        });
        assert!(
            recording.spans() > 0,
            "the recording subscriber saw no span"
        );
    }
    c.final_summary();
}

/// A subscriber that takes the spans up to a level and counts them.
#[cfg(feature = "tracing")]
mod listeners {
    use std::fmt::Debug;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use tracing::field::{Field, Visit};
    use tracing::level_filters::LevelFilter;
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Subscriber;
    use tracing::{Event, Level, Metadata};

    /// Takes every span and event at `max` or above and visits their
    /// fields; counts the spans.
    #[derive(Clone)]
    pub struct Counting(Arc<State>);

    struct State {
        max: Level,
        spans: AtomicU64,
        fields: AtomicU64,
    }

    impl Counting {
        pub fn new(max: Level) -> Counting {
            Counting(Arc::new(State {
                max,
                spans: AtomicU64::new(0),
                fields: AtomicU64::new(0),
            }))
        }

        /// Spans made so far.
        pub fn spans(&self) -> u64 {
            self.0.spans.load(Ordering::Relaxed)
        }
    }

    /// Counts the fields it is shown, formatting none.
    struct Fields<'a>(&'a AtomicU64);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, _: &Field, value: &dyn Debug) {
            std::hint::black_box(value);
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl Subscriber for Counting {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            *metadata.level() <= self.0.max
        }

        fn max_level_hint(&self) -> Option<LevelFilter> {
            Some(LevelFilter::from_level(self.0.max))
        }

        fn new_span(&self, span: &Attributes<'_>) -> Id {
            span.record(&mut Fields(&self.0.fields));
            Id::from_u64(self.0.spans.fetch_add(1, Ordering::Relaxed) + 1)
        }

        fn record(&self, _: &Id, values: &Record<'_>) {
            values.record(&mut Fields(&self.0.fields));
        }

        fn record_follows_from(&self, _: &Id, _: &Id) {}

        fn event(&self, event: &Event<'_>) {
            event.record(&mut Fields(&self.0.fields));
        }

        fn enter(&self, _: &Id) {}

        fn exit(&self, _: &Id) {}
    }
}
