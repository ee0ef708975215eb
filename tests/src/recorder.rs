//! A `tracing` subscriber that records every span and event with its
//! fields and parent, for tests of what the host reports.
//!
//! tracing caches, per callsite, whether any subscriber wants it. A test
//! thread that reaches a callsite while no subscriber exists can cache
//! "never" just as another thread installs its recorder, and the recorder
//! then misses the span. [`Recorder::record`] first installs, once, a
//! global subscriber that wants nothing but answers "ask me each time", so
//! that no callsite is ever cached as unwanted.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// A span as recorded.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub id: u64,
    pub name: &'static str,
    pub parent: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

/// An event as recorded.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub level: Level,
    pub target: String,
    pub parent: Option<u64>,
    pub fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Recorded {
    spans: Vec<SpanRecord>,
    /// Each span's metadata, by id, for `current_span`.
    metadata: BTreeMap<u64, &'static Metadata<'static>>,
    events: Vec<EventRecord>,
    /// The entered spans of each thread (an async pool's threads report
    /// to the subscriber of the task that awaits their call).
    entered: std::collections::HashMap<std::thread::ThreadId, Vec<u64>>,
}

impl Recorded {
    /// The parent of a new span or event: the one it names, or the
    /// calling thread's entered one when it takes its parent from the
    /// context.
    fn parent(&self, explicit: Option<&Id>, contextual: bool) -> Option<u64> {
        match explicit {
            Some(parent) => Some(parent.into_u64()),
            None if contextual => self.current(),
            None => None,
        }
    }

    /// The span the calling thread is in.
    fn current(&self) -> Option<u64> {
        self.entered
            .get(&std::thread::current().id())
            .and_then(|entered| entered.last().copied())
    }
}

/// Records what it is sent; clones share the records. Set on one thread
/// (`tracing::subscriber::with_default`); other threads may report to it
/// (an async pool's, for the calls that thread awaits).
#[derive(Clone, Default)]
pub struct Recorder {
    next_id: Arc<AtomicU64>,
    recorded: Arc<Mutex<Recorded>>,
}

impl Recorder {
    /// Runs `body` with a new recorder as this thread's subscriber, and
    /// returns the recorder with what `body` returned.
    pub fn record<T>(body: impl FnOnce() -> T) -> (Recorder, T) {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            // Fails only if another global subscriber is set, which then
            // decides; the tests of this binary set none.
            let _ = tracing::subscriber::set_global_default(AskEachTime);
        });
        let recorder = Recorder::default();
        let value = tracing::subscriber::with_default(recorder.clone(), body);
        (recorder, value)
    }

    /// Every span so far, in the order they were made.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.recorded.lock().unwrap().spans.clone()
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<EventRecord> {
        self.recorded.lock().unwrap().events.clone()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut recorded = self.recorded.lock().unwrap();
        let parent = recorded.parent(attributes.parent(), attributes.is_contextual());
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        recorded.spans.push(SpanRecord {
            id,
            name: attributes.metadata().name(),
            parent,
            fields,
        });
        recorded.metadata.insert(id, attributes.metadata());
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut recorded = self.recorded.lock().unwrap();
        if let Some(record) = recorded
            .spans
            .iter_mut()
            .find(|record| record.id == span.into_u64())
        {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut recorded = self.recorded.lock().unwrap();
        let parent = recorded.parent(event.parent(), event.is_contextual());
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        recorded.events.push(EventRecord {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            parent,
            fields,
        });
    }

    fn enter(&self, span: &Id) {
        let mut recorded = self.recorded.lock().unwrap();
        let thread = std::thread::current().id();
        recorded
            .entered
            .entry(thread)
            .or_default()
            .push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        let mut recorded = self.recorded.lock().unwrap();
        let thread = std::thread::current().id();
        if let Some(entered) = recorded.entered.get_mut(&thread) {
            entered.pop();
        }
    }

    fn current_span(&self) -> tracing_core::span::Current {
        let recorded = self.recorded.lock().unwrap();
        match recorded
            .current()
            .and_then(|id| Some((id, *recorded.metadata.get(&id)?)))
        {
            Some((id, metadata)) => tracing_core::span::Current::new(Id::from_u64(id), metadata),
            None => tracing_core::span::Current::none(),
        }
    }
}

/// The global subscriber [`Recorder::record`] installs: it wants nothing,
/// and says so at each span or event rather than once per callsite.
struct AskEachTime;

impl Subscriber for AskEachTime {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
